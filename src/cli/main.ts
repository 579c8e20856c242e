#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { MailcomplyError, describeError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { EXIT } from './exit-codes.js';

const program = new Command()
  .name('mailcomply')
  .description('Show what your email infrastructure exposes, tie it to GDPR, and fix it.')
  .version(VERSION)
  .option('--config <file>', 'mailcomply.yaml to use (default: ./mailcomply.yaml when it exists)')
  .exitOverride()
  .showHelpAfterError();

type Register = (program: Command) => void;

/**
 * Command modules, loaded only when their command runs: loading every module (TLS, milter, log
 * anonymiser, provider catalogue...) costs seconds and ~100 MB that `mailcomply logs` should not pay.
 * Help without a command loads them all.
 */
const COMMANDS: [names: string[], load: () => Promise<Register>][] = [
  [['demo'], async () => (await import('./commands/demo.js')).registerDemo],
  [['scan'], async () => (await import('./commands/scan.js')).registerScan],
  [['lab'], async () => (await import('./commands/lab.js')).registerLab],
  [['processors'], async () => (await import('./commands/processors.js')).registerProcessors],
  [['headers', 'postfix'], async () => (await import('./commands/headers.js')).registerHeaders],
  [['milter'], async () => (await import('./commands/milter.js')).registerMilter],
  [['bounces'], async () => (await import('./commands/bounces.js')).registerBounces],
  [['logs'], async () => (await import('./commands/logs.js')).registerLogs],
  [['postfix'], async () => (await import('./commands/postfix-audit.js')).registerPostfixAudit],
  [['dovecot'], async () => (await import('./commands/dovecot.js')).registerDovecot],
  [['mta-sts', 'mta-sts-resolver'], async () => (await import('./commands/mta-sts.js')).registerMtaSts],
  [['tlsrpt'], async () => (await import('./commands/tlsrpt.js')).registerTlsrpt],
  [['retention'], async () => (await import('./commands/retention.js')).registerRetention],
  [['trace'], async () => (await import('./commands/trace.js')).registerTrace],
  [['dsar'], async () => (await import('./commands/dsar.js')).registerDsar],
  [['dsar'], async () => (await import('./commands/dsar-erase.js')).registerDsarErase],
];

const wanted = commandName(process.argv.slice(2));
const chosen = COMMANDS.filter(([names]) => wanted !== undefined && names.includes(wanted));
for (const [, load] of chosen.length ? chosen : COMMANDS) (await load())(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

/** The command word: the first argument that is neither an option nor the value of --config. */
function commandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
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
