#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { MailcomplyError, describeError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { registerBounces } from './commands/bounces.js';
import { registerDemo } from './commands/demo.js';
import { registerDovecot } from './commands/dovecot.js';
import { registerHeaders } from './commands/headers.js';
import { registerLab } from './commands/lab.js';
import { registerLogs } from './commands/logs.js';
import { registerMilter } from './commands/milter.js';
import { registerMtaSts } from './commands/mta-sts.js';
import { registerPostfixAudit } from './commands/postfix-audit.js';
import { registerProcessors } from './commands/processors.js';
import { registerScan } from './commands/scan.js';
import { registerTlsrpt } from './commands/tlsrpt.js';
import { EXIT } from './exit-codes.js';

const program = new Command()
  .name('mailcomply')
  .description('Show what your email infrastructure exposes, tie it to GDPR, and fix it.')
  .version(VERSION)
  .option('--config <file>', 'mailcomply.yaml to use (default: ./mailcomply.yaml when it exists)')
  .exitOverride()
  .showHelpAfterError();
registerScan(program);
registerLab(program);
registerDemo(program);
registerLogs(program);
registerBounces(program);
registerMtaSts(program);
registerTlsrpt(program);
registerMilter(program);
registerPostfixAudit(program);
registerHeaders(program);
registerDovecot(program);
registerProcessors(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (err instanceof MailcomplyError && err.code === 'E_USAGE') {
    process.stderr.write(`mailcomply: ${err.message}\n`);
    return EXIT.USAGE;
  }
  process.stderr.write(`mailcomply: ${describeError(err)}\n`);
  return EXIT.OPERATIONAL;
}
