import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../../core/errors.js';
import { anonymizeFile, anonymizeInPlace, type AnonymizeReceipt } from '../../logs/anonymize/file.js';
import { readKeyFile, writeKeyFile, type AnonymizerKeys } from '../../logs/anonymize/keys.js';
import { DEFAULT_POLICY } from '../../logs/anonymize/policy.js';
import { LogParser } from '../../logs/parse/parser.js';
import { LOG_FORMATS, type LogFormat } from '../../logs/parse/types.js';
import { logLines } from '../../logs/read-lines.js';
import { EXIT } from '../exit-codes.js';
import { writeFileAtomic } from '../output.js';
import { positiveNumber } from '../options.js';

interface ParseFlags {
  format: 'text' | 'json';
  logFormat?: LogFormat;
  year?: number;
  quiet?: boolean;
}

interface AnonymizeFlags {
  in: string;
  out: string;
  inPlace?: boolean;
  keyFile?: string;
  policy?: string;
  threads: number;
  receipt?: string;
  quiet?: boolean;
}

/** A reader that went away (`| head`) ends a filter normally, as it does for other Unix tools. */
function quietOnBrokenPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
}

/** `mailcomply logs parse|anonymize|keygen`. */
export function registerLogs(program: Command): void {
  const logs = program.command('logs').description('parse mail server logs and pseudonymise them');

  logs
    .command('parse')
    .description('parse Postfix, Dovecot, Exim, Sendmail and Exchange logs into typed events (plain or .gz)')
    .argument('<files...>', 'log files, or - for stdin')
    .option('--format <format>', 'text (a summary) or json (one event per line)', parseOutFormat, 'text')
    .option('--log-format <format>', `skip detection: ${LOG_FORMATS.join(', ')}`, parseLogFormat)
    .option('--year <year>', 'year for syslog timestamps, which have none (default: this year)', Number)
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply logs parse /var/log/mail.log\n  mailcomply logs parse --format json /var/log/mail.log.2.gz | jq .',
    )
    .action(async (files: string[], flags: ParseFlags) => {
      process.exitCode = await runParse(files, flags);
    });

  logs
    .command('anonymize')
    .alias('anonymise')
    .description(
      'pseudonymise addresses, IPs, user names and client host names in a log; lines keep their shape',
    )
    .option('--in <file>', 'input log (plain or gzip), - for stdin', '-')
    .option('--out <file>', 'output (gzip when it ends in .gz), - for stdout', '-')
    .option('--in-place', 'rewrite --in itself (temp file, fsync, rename; owner and mode kept)')
    .option(
      '--key-file <file>',
      'secret for pseudonyms and Crypto-PAn (`logs keygen`); stable across files and runs',
    )
    .option('--policy <file>', 'YAML policy (ip: truncate|crypto-pan|keep, emailDomain, users, hosts, ...)')
    .option(
      '--threads <n>',
      'threads that share the work (output identical to one thread; gzip output as one member per block)',
      positiveNumber(64),
      1,
    )
    .option('--receipt <file>', 'write what was done (counts, bytes) as JSON')
    .option('--quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply logs keygen --out /etc/mailcomply/log.key\n  mailcomply logs anonymize --key-file /etc/mailcomply/log.key --in mail.log.1 --out mail.log.1.anon.gz\n  journalctl -f -u postfix | mailcomply logs anonymize --key-file k --quiet',
    )
    .action(async (flags: AnonymizeFlags) => {
      process.exitCode = await runAnonymize(flags);
    });

  logs
    .command('keygen')
    .description('create a key file for `logs anonymize --key-file` (mode 0600)')
    .requiredOption('--out <file>', 'where to write the key')
    .action((flags: { out: string }) => {
      writeKeyFile(flags.out);
      process.stderr.write(`mailcomply: wrote a new key to ${flags.out}; keep it secret and backed up\n`);
    });
}

function parseOutFormat(v: string): 'text' | 'json' {
  if (v !== 'text' && v !== 'json') throw new InvalidArgumentError('expected text or json');
  return v;
}

function parseLogFormat(v: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(`expected one of ${LOG_FORMATS.join(', ')}`);
  }
  return v as LogFormat;
}

async function runParse(files: string[], flags: ParseFlags): Promise<number> {
  quietOnBrokenPipe();
  if (
    flags.year !== undefined &&
    !(Number.isInteger(flags.year) && flags.year >= 1970 && flags.year <= 9999)
  ) {
    throw new UsageError('--year: expected a year such as 2025');
  }
  const json = flags.format === 'json';
  const out = process.stdout;
  for (const file of files) {
    const parser = new LogParser({
      ...(flags.logFormat ? { format: flags.logFormat } : {}),
      ...(flags.year ? { year: flags.year } : {}),
    });
    const bySource = new Map<string, number>();
    let buffered: string[] = [];
    const flush = (): Promise<void> | undefined => {
      const text = buffered.join('');
      buffered = [];
      if (!out.write(text)) return new Promise((r) => out.once('drain', () => r()));
      return undefined;
    };
    const handle = async (results: ReturnType<LogParser['push']>): Promise<void> => {
      for (const r of results) {
        if (r.ok) bySource.set(r.event.source, (bySource.get(r.event.source) ?? 0) + 1);
        if (!json) continue;
        buffered.push(
          `${JSON.stringify(r.ok ? { type: 'event', file, ...r.event } : { type: 'unparsed', file, line: r.line, text: r.text })}\n`,
        );
      }
      if (buffered.length > 1000) await flush();
    };
    for await (const line of logLines(file)) await handle(parser.push(line));
    await handle(parser.end());
    const summary = {
      file,
      format: parser.detected ?? null,
      lines: parser.stats.lines,
      parsed: parser.stats.parsed,
      unparsed: parser.stats.unparsed,
      sources: Object.fromEntries(bySource),
    };
    if (json) buffered.push(`${JSON.stringify({ type: 'summary', schema: 1, ...summary })}\n`);
    else
      buffered.push(
        `${file}: ${summary.format ?? 'unknown'} format, ${summary.lines} lines, ${summary.parsed} parsed, ${summary.unparsed} unparsed` +
          (bySource.size ? ` (${[...bySource].map(([k, v]) => `${k} ${v}`).join(', ')})` : '') +
          '\n',
      );
    await flush();
  }
  return EXIT.OK;
}

async function runAnonymize(flags: AnonymizeFlags): Promise<number> {
  quietOnBrokenPipe();
  const policy = flags.policy
    ? (await import('../../logs/anonymize/policy-file.js')).readPolicyFile(flags.policy)
    : DEFAULT_POLICY;
  let keys: AnonymizerKeys | undefined;
  if (flags.keyFile) keys = readKeyFile(flags.keyFile);
  else if (policy.ip === 'crypto-pan')
    throw new UsageError('ip: crypto-pan needs --key-file (see `logs keygen`)');
  else if (!flags.quiet)
    process.stderr.write(
      'mailcomply: no --key-file: pseudonyms use a one-off key and will not match other files or runs\n',
    );
  const threads = Math.floor(flags.threads);
  let receipt: AnonymizeReceipt;
  if (flags.inPlace) {
    if (flags.in === '-') throw new UsageError('--in-place needs --in FILE');
    if (flags.out !== '-') throw new UsageError('--in-place writes over --in: leave out --out');
    receipt = await anonymizeInPlace(flags.in, { policy, ...(keys ? { keys } : {}), threads });
  } else {
    if (flags.in !== '-' && flags.in === flags.out)
      throw new UsageError('--in and --out are the same file: use --in-place');
    receipt = await anonymizeFile(flags.in, flags.out, { policy, ...(keys ? { keys } : {}), threads });
  }
  if (flags.receipt)
    writeFileAtomic(flags.receipt, `${JSON.stringify({ schema: 1, ...receipt }, null, 2)}\n`);
  if (!flags.quiet) {
    const c = receipt.counts;
    process.stderr.write(
      `mailcomply: ${c.lines} lines: ${c.ipv4} IPv4, ${c.ipv6} IPv6, ${c.emails} addresses, ${c.users} user names, ${c.hosts} host names, ${c.redacted} check lines redacted\n`,
    );
  }
  return EXIT.OK;
}
