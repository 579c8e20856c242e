import type { Command } from 'commander';
import type { Severity } from '../../core/finding.js';
import { auditDovecot } from '../../mta/dovecot/audit.js';
import { auditBreaches, buildAuditRun, renderAudit } from '../../mta/postfix/render.js';
import { EXIT } from '../exit-codes.js';
import { emit, useColor } from '../output.js';
import { reportOptions, type Format } from '../options.js';

interface AuditFlags {
  config?: string;
  doveconf: boolean;
  format: Format;
  out?: string;
  failOn?: Severity;
  quiet?: boolean;
}

/** Registers `mailcomply dovecot audit`. */
export function registerDovecot(program: Command): void {
  const group =
    program.commands.find((c) => c.name() === 'dovecot') ??
    program.command('dovecot').description('audit a Dovecot installation');
  reportOptions(
    group
      .command('audit')
      .description('judge TLS, cleartext logins, passwords and debug output in logs (default: `doveconf -n`)')
      .argument('[file]', 'a dovecot.conf (with its !include files) or saved `doveconf -n` output')
      .option('--no-doveconf', 'with --config: do not ask `doveconf -n -c FILE` whether Dovecot accepts it'),
  )
    .option('--quiet', 'hide passing findings in text output')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply dovecot audit\n  mailcomply dovecot audit /etc/dovecot/dovecot.conf --format json --fail-on high\n  mailcomply dovecot audit --config /etc/dovecot/dovecot.conf',
    )
    .action(async (file: string | undefined, flags: AuditFlags, cmd: Command) => {
      const started = new Date();
      const config = file ?? dovecotFileFromGlobal(cmd.optsWithGlobals<AuditFlags>().config);
      const audit = await auditDovecot({
        ...(config ? { config } : {}),
        useDoveconf: flags.doveconf,
      });
      const run = buildAuditRun('dovecot', audit.source, audit.findings, started, new Date());
      const color = !flags.out && useColor(process.stdout);
      emit(renderAudit(run, flags.format, { color, quiet: flags.quiet === true }), flags.out);
      process.exitCode = !audit.read
        ? EXIT.OPERATIONAL
        : auditBreaches(run, flags.failOn)
          ? EXIT.FINDINGS
          : EXIT.OK;
    });
}

/**
 * `--config` is also the program-wide option naming mailcomply.yaml, and commander hands it to the
 * program wherever it appears; `dovecot audit --config FILE` therefore arrives there. A YAML file is
 * mailcomply's own configuration, never a Dovecot one, so only other files are taken as Dovecot's.
 */
function dovecotFileFromGlobal(value: string | undefined): string | undefined {
  if (!value || /\.ya?ml$/i.test(value)) return undefined;
  return value;
}
