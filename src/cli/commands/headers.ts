import { createReadStream, createWriteStream, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { MailcomplyError, UsageError } from '../../core/errors.js';
import { breaches, type Severity } from '../../core/finding.js';
import { analyzePaths } from '../../message/analyze-run.js';
import { parseIp } from '../../message/internal.js';
import { policyNeedsKey, type HeaderPolicy } from '../../message/policy.js';
import { readKeyFile } from '../../message/pseudonym.js';
import { renderHeadersHtml, renderHeadersJson, renderHeadersText } from '../../message/report-render.js';
import { sanitizeMessage } from '../../message/sanitize-stream.js';
import { EXIT } from '../exit-codes.js';
import { reportOptions, collect, type Format } from '../options.js';
import { emit, useColor } from '../output.js';
import { configZones, policyFromFlag, registerPostfixHeaderChecks } from './postfix-header-checks.js';

interface AnalyzeFlags {
  format: Format;
  out?: string;
  failOn?: Severity;
  quiet?: boolean;
  internalZone?: string[];
}

interface SanitizeFlags {
  policy?: string;
  keyFile?: string;
  in?: string;
  out?: string;
  clientAddress?: string;
  authenticatedUser?: string;
  internalZone?: string[];
  changes?: boolean;
}

/** `mailcomply headers analyze|sanitize`, and `mailcomply postfix header-checks` (the same policy as a Postfix table). */
export function registerHeaders(program: Command): void {
  registerPostfixHeaderChecks(program);
  const headers = program
    .command('headers')
    .description('audit what message headers expose, and strip it (GDPR Art. 5(1)(c), Art. 25)');
  reportOptions(
    headers
      .command('analyze')
      .description(
        'report internal IPs and names, client IPs and software, and login names in message headers',
      )
      .argument('<paths...>', '.eml files, mbox files and Maildir folders (folders are walked)'),
  )
    .option('--quiet', 'text output shows the aggregate only')
    .option(
      '--internal-zone <zone>',
      'DNS zone whose names are internal, e.g. corp.example.com (repeatable; adds to organisation.internalZones of mailcomply.yaml)',
      collect,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply headers analyze ~/Maildir\n  mailcomply headers analyze sent.mbox --internal-zone corp.example.com --format html --out headers.html',
    )
    .action((paths: string[], flags: AnalyzeFlags, cmd: Command) => {
      process.exitCode = runAnalyze(paths, { ...flags, internalZone: configZones(cmd, flags.internalZone) });
    });
  headers
    .command('sanitize')
    .description('rewrite one message per policy (stdin to stdout); body bytes are never changed')
    .option('--policy <file>', 'header policy (YAML, schemas/header-policy.schema.json); default: built-in')
    .option('--key-file <file>', 'HMAC key for pseudonymise rules (at least 16 bytes)')
    .option('--in <file>', 'read the message from a file instead of stdin')
    .option('--out <file>', 'write the result to a file (atomically) instead of stdout')
    .option('--client-address <ip>', "the submitting client's address: its Received hop is rewritten")
    .option('--authenticated-user <login>', 'the SASL login: hidden wherever a rewritten field shows it')
    .option(
      '--internal-zone <zone>',
      'DNS zone whose names are internal (repeatable; adds to the policy)',
      collect,
    )
    .option('--changes', 'list the edits on stderr (header names and actions, never values)')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply headers sanitize < in.eml > out.eml\n  mailcomply headers sanitize --policy policy.yaml --key-file /etc/mailcomply/hmac.key --in in.eml --out out.eml',
    )
    .action(async (flags: SanitizeFlags, cmd: Command) => {
      process.exitCode = await runSanitize({ ...flags, internalZone: configZones(cmd, flags.internalZone) });
    });
}

function runAnalyze(paths: string[], flags: AnalyzeFlags): number {
  const run = analyzePaths(paths, { internalZones: flags.internalZone ?? [] });
  const text =
    flags.format === 'json'
      ? renderHeadersJson(run)
      : flags.format === 'html'
        ? renderHeadersHtml(run)
        : renderHeadersText(run, {
            color: !flags.out && useColor(process.stdout),
            quiet: flags.quiet ?? false,
          });
  emit(text, flags.out);
  if (run.aggregate.messages > 0 && run.aggregate.errors === run.aggregate.messages) return EXIT.OPERATIONAL;
  if (flags.failOn) {
    const threshold = flags.failOn;
    if (run.messages.some((m) => m.findings.some((f) => breaches(f, threshold)))) return EXIT.FINDINGS;
  }
  return EXIT.OK;
}

function policyFor(flags: SanitizeFlags): HeaderPolicy {
  const policy = policyFromFlag(flags.policy);
  if (flags.internalZone?.length)
    policy.internalZones.push(...flags.internalZone.map((z) => z.toLowerCase()));
  return policy;
}

async function runSanitize(flags: SanitizeFlags): Promise<number> {
  const policy = policyFor(flags);
  if (policyNeedsKey(policy) && !flags.keyFile)
    throw new UsageError('the policy pseudonymises: give the HMAC key with --key-file');
  const key = flags.keyFile ? readKeyFile(flags.keyFile) : undefined;
  if (flags.clientAddress && !parseIp(flags.clientAddress))
    throw new UsageError('--client-address: not an IP address');
  const input: Readable = flags.in ? createReadStream(flags.in) : process.stdin;
  let output: Writable = process.stdout;
  let tmp: string | undefined;
  if (flags.out) {
    tmp = join(dirname(flags.out), `.${basename(flags.out)}.${process.pid}.tmp`);
    output = createWriteStream(tmp, { mode: 0o600 });
  }
  try {
    const ctx = {
      ...(key ? { key } : {}),
      ...(flags.clientAddress ? { clientAddress: flags.clientAddress } : {}),
      ...(flags.authenticatedUser ? { authenticatedUser: flags.authenticatedUser } : {}),
    };
    const result = await sanitizeMessage(input, output, policy, ctx);
    if (tmp && flags.out) renameSync(tmp, flags.out);
    tmp = undefined;
    if (flags.changes) {
      for (const c of result.changes)
        process.stderr.write(`${c.kind} ${c.name} #${c.occurrence} (${c.rule})\n`);
      process.stderr.write(
        `${result.changes.length} change(s); ${result.bodyBytes} body bytes passed unchanged\n`,
      );
    }
    return EXIT.OK;
  } catch (err) {
    if (err instanceof MailcomplyError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MailcomplyError('E_IO', `sanitize: ${code ?? (err as Error).message}`, { cause: err });
  } finally {
    if (tmp) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
    }
  }
}
