import type { Command } from 'commander';
import { breaches, type Severity } from '../../core/finding.js';
import { analyzePaths } from '../../message/bounces/run.js';
import { renderBouncesHtml, renderBouncesJson, renderBouncesText } from '../../message/bounces/render.js';
import { EXIT } from '../exit-codes.js';
import { reportOptions, collect, type Format } from '../options.js';
import { emit, useColor } from '../output.js';

interface BounceFlags {
  format: Format;
  out?: string;
  failOn?: Severity;
  quiet?: boolean;
  internalZone?: string[];
  showPersonal?: boolean;
}

/** `mailcomply bounces analyze <path...>`: what bounces and automatic replies disclose. */
export function registerBounces(program: Command): void {
  const bounces = program
    .command('bounces')
    .description('bounce (DSN) and automatic-reply disclosure analysis');
  reportOptions(
    bounces
      .command('analyze')
      .description(
        'read .eml files, mbox files and Maildir folders; report what bounces and auto-replies disclose',
      )
      .argument('<paths...>', 'files or folders (mbox files, Maildir folders, .eml files)'),
  )
    .option('--quiet', 'text output hides passing findings')
    .option(
      '--internal-zone <zone>',
      'DNS zone whose names are internal, e.g. corp.example.org (repeatable)',
      collect,
    )
    .option('--show-personal', 'show e-mail addresses and phone numbers unredacted in the evidence')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply bounces analyze ~/Maildir/.Bounces\n  mailcomply bounces analyze samples/*.eml --internal-zone corp.example.org --format html --out bounces.html',
    )
    .action((paths: string[], flags: BounceFlags) => {
      process.exitCode = runBounces(paths, flags);
    });
}

function runBounces(paths: string[], flags: BounceFlags): number {
  const run = analyzePaths(paths, {
    internalZones: flags.internalZone ?? [],
    showPersonal: flags.showPersonal === true,
  });
  const out =
    flags.format === 'json'
      ? renderBouncesJson(run)
      : flags.format === 'html'
        ? renderBouncesHtml(run)
        : renderBouncesText(run, {
            color: !flags.out && useColor(process.stdout),
            showPassing: flags.quiet !== true,
          });
  emit(out, flags.out);
  if (!flags.failOn) return EXIT.OK;
  const threshold = flags.failOn;
  return run.messages.some((m) => m.findings.some((f) => breaches(f, threshold))) ? EXIT.FINDINGS : EXIT.OK;
}
