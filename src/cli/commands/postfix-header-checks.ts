import type { Command } from 'commander';
import { commandConfig } from '../../core/config.js';
import { InputError, UsageError } from '../../core/errors.js';
import { defaultHeaderPolicy, loadHeaderPolicy, type HeaderPolicy } from '../../message/policy.js';
import { postfixHeaderChecks } from '../../message/postfix-header-checks.js';
import { EXIT } from '../exit-codes.js';
import { collect } from '../options.js';
import { writeFileAtomic } from '../output.js';

/**
 * The `postfix` command group, created on first use: other files add their subcommands with
 * `postfixGroup(program).command('audit')...`, whichever registers first.
 */
export function postfixGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'postfix');
  if (existing) return existing;
  return program.command('postfix').description('Postfix configuration: generate and audit settings');
}

interface Flags {
  policy?: string;
  table?: string;
  tablePath: string;
  internalZone?: string[];
}

/** `mailcomply postfix header-checks --policy F`. */
export function registerPostfixHeaderChecks(program: Command): void {
  postfixGroup(program)
    .command('header-checks')
    .description('emit the Postfix header_checks table and master.cf lines equivalent to a header policy')
    .option('--policy <file>', 'header policy (YAML); default: built-in')
    .option('--table <file>', 'write the regexp table to FILE (atomically); stdout gets the config lines')
    .option(
      '--table-path <path>',
      'path of the table as master.cf should name it',
      '/etc/postfix/submission_header_checks',
    )
    .option(
      '--internal-zone <zone>',
      'DNS zone whose names are internal (repeatable; adds to the policy)',
      collect,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply postfix header-checks --policy policy.yaml\n  mailcomply postfix header-checks --table /etc/postfix/submission_header_checks',
    )
    .action((flags: Flags) => {
      const policy = policyFromFlag(flags.policy);
      if (flags.internalZone?.length)
        policy.internalZones.push(...flags.internalZone.map((z) => z.toLowerCase()));
      const r = postfixHeaderChecks(policy, flags.tablePath);
      const notes = [
        '# Rules header_checks cannot express (use `mailcomply milter` for these):',
        ...r.needsMilter.map((n) => `#   - ${n}`),
      ].join('\n');
      if (flags.table) {
        writeFileAtomic(flags.table, r.table);
        process.stdout.write(`${r.masterCf}\n${r.mainCf}\n${notes}\n`);
      } else {
        process.stdout.write(
          `# ---- ${flags.tablePath} ----\n${r.table}\n# ---- master.cf ----\n${r.masterCf}\n# ---- main.cf ----\n${r.mainCf}\n${notes}\n`,
        );
      }
      process.exitCode = EXIT.OK;
    });
}

/** Loads --policy; an invalid file is a usage error (exit 2) naming file, line and field. */
export function policyFromFlag(path: string | undefined): HeaderPolicy {
  if (!path) return defaultHeaderPolicy();
  try {
    return loadHeaderPolicy(path);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(`--policy ${err.message}`, { cause: err });
    throw err;
  }
}

/** Internal zones: organisation.internalZones from mailcomply.yaml (global --config) plus --internal-zone flags. */
export function configZones(cmd: Command, flags: string[] | undefined): string[] {
  const fromConfig = commandConfig(cmd).config.organisation?.internalZones ?? [];
  return [...fromConfig, ...(flags ?? [])];
}
