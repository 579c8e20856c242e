import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { UsageError } from '../../core/errors.js';
import { normaliseZones } from '../../message/internal.js';
import { policyNeedsKey } from '../../message/policy.js';
import { readKeyFile } from '../../message/pseudonym.js';
import { sanitizingRewriter } from '../../milter/rewriter.js';
import { MilterServer, formatListen, parseListen } from '../../milter/server.js';
import type { OnError } from '../../milter/session.js';
import { EXIT } from '../exit-codes.js';
import { collect } from '../options.js';
import { configZones, policyFromFlag } from './postfix-header-checks.js';

interface MilterFlags {
  listen: string;
  policy?: string;
  keyFile?: string;
  onError: OnError;
  socketMode: string;
  logLevel: string;
  internalZone?: string[];
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseOnError(value: string): OnError {
  if (value !== 'accept' && value !== 'tempfail')
    throw new InvalidArgumentError('expected accept or tempfail');
  return value;
}

function parseMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value))
    throw new UsageError(`--socket-mode ${value}: expected an octal mode such as 660`);
  return parseInt(value, 8);
}

function parseLevel(value: string): string {
  if (!LEVELS.includes(value)) throw new InvalidArgumentError(`expected one of ${LEVELS.join(', ')}`);
  return value;
}

/** `mailcomply milter`: the header sanitiser as a milter for Postfix or Sendmail. */
export function registerMilter(program: Command): void {
  program
    .command('milter')
    .description('sanitise outgoing message headers inside Postfix/Sendmail (milter protocol 6)')
    .requiredOption('--listen <address>', 'inet:HOST:PORT, inet:PORT@HOST or unix:/path')
    .option('--policy <file>', 'header policy YAML (default: the built-in policy, see `headers sanitize`)')
    .option('--key-file <file>', 'HMAC key for pseudonymise rules (at least 16 bytes)')
    .option(
      '--on-error <action>',
      'when sanitising fails: tempfail (4xx, retried later) or accept (deliver unchanged)',
      parseOnError,
      'tempfail',
    )
    .option(
      '--internal-zone <zone>',
      'DNS zone whose names are internal (repeatable; adds to the policy and organisation.internalZones)',
      collect,
    )
    .option('--socket-mode <mode>', 'file mode of a unix socket (octal)', '660')
    .option('--log-level <level>', `log level on stderr (${LEVELS.join(', ')})`, parseLevel, 'info')
    .addHelpText(
      'after',
      [
        '',
        'Postfix main.cf (submission service: sanitise before any DKIM signing milter):',
        '  smtpd_milters = inet:127.0.0.1:8893, inet:127.0.0.1:8891',
        '  milter_default_action = tempfail',
        '',
        'Example:',
        '  mailcomply milter --listen inet:127.0.0.1:8893 --policy /etc/mailcomply/headers.yaml',
      ].join('\n'),
    )
    .action(async (flags: MilterFlags, cmd: Command) => {
      process.exitCode = await runMilter({ ...flags, internalZone: configZones(cmd, flags.internalZone) });
    });
}

async function runMilter(flags: MilterFlags): Promise<number> {
  const listen = parseListen(flags.listen);
  const policy = policyFromFlag(flags.policy);
  policy.internalZones.push(...normaliseZones(flags.internalZone ?? []));
  const key = flags.keyFile ? readKeyFile(flags.keyFile) : undefined;
  if (!key && policyNeedsKey(policy)) {
    throw new UsageError('the policy pseudonymises fields: give the HMAC key with --key-file');
  }
  const logger = pino({ level: flags.logLevel, base: null }, pino.destination(2));
  const server = new MilterServer({
    rewrite: sanitizingRewriter(policy, { key }),
    onError: flags.onError,
    socketMode: parseMode(flags.socketMode),
    logger,
    onMessage: (o) => {
      // Counts and reasons only: header content may hold personal data.
      if (o.reason) logger.warn({ action: o.action, reason: o.reason }, 'message not sanitised');
      else logger.debug({ edits: o.edits }, 'message sanitised');
    },
  });
  const bound = await server.listen(listen);
  const address = formatListen(bound);
  logger.info({ address, onError: flags.onError, policy: flags.policy ?? '<built-in>' }, 'milter listening');
  process.stdout.write(`mailcomply milter: listening on ${address}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  logger.info({ ...server.stats }, 'milter stopped');
  return EXIT.OK;
}
