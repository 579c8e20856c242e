import type { Command } from 'commander';
import type { Severity } from '../../core/finding.js';
import { auditPostfix } from '../../mta/postfix/audit.js';
import { DEFAULT_CONFIG_DIR } from '../../mta/postfix/emit.js';
import { auditBreaches, buildAuditRun, renderAudit } from '../../mta/postfix/render.js';
import { EXIT } from '../exit-codes.js';
import { emit, useColor } from '../output.js';
import { reportOptions, type Format } from '../options.js';
import { postfixGroup } from './postfix-header-checks.js';

interface AuditFlags {
  configDir: string;
  postconf: boolean;
  format: Format;
  out?: string;
  failOn?: Severity;
  quiet?: boolean;
}

/** Registers `mailcomply postfix audit`. */
export function registerPostfixAudit(program: Command): void {
  reportOptions(
    postfixGroup(program)
      .command('audit')
      .description(
        'judge main.cf and master.cf (every smtpd and smtp service) for TLS, disclosure, bounces, retention and relaying',
      )
      .option('--config-dir <dir>', 'Postfix configuration directory', DEFAULT_CONFIG_DIR)
      .option('--no-postconf', 'do not run `postconf -d` for defaults; use the built-in Postfix 3.7 table'),
  )
    .option('--quiet', 'hide passing findings in text output')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply postfix audit\n  mailcomply postfix audit --config-dir /etc/postfix-out --format html --out postfix.html --fail-on medium',
    )
    .action(async (flags: AuditFlags) => {
      const started = new Date();
      const audit = await auditPostfix({ configDir: flags.configDir, usePostconf: flags.postconf });
      const run = buildAuditRun('postfix', audit.configDir, audit.findings, started, new Date());
      const color = !flags.out && useColor(process.stdout);
      emit(renderAudit(run, flags.format, { color, quiet: flags.quiet === true }), flags.out);
      // Neither file readable means a wrong --config-dir: an operational error, not a verdict.
      const unreadable = audit.findings.filter((f) => f.id === 'postfix.config.unreadable').length;
      process.exitCode =
        unreadable === 2 ? EXIT.OPERATIONAL : auditBreaches(run, flags.failOn) ? EXIT.FINDINGS : EXIT.OK;
    });
}
