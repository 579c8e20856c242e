import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import {
  applyErase,
  pauseHookFromEnv,
  planFromSources,
  verifyErase,
  type EraseOutcome,
  type ErasePlan,
  type EraseSummary,
  type VerifyResult,
} from '../../dsar/erase/index.js';
import { locationText } from '../../dsar/search/render.js';
import { parseSourceFlag, sourceLabel } from '../../dsar/sources/index.js';
import {
  addSourceOptions,
  addThreadsOption,
  dsarGroup,
  sourcesFrom,
  threadsFor,
  type DsarSourceFlags,
} from './dsar.js';
import type { SourceSpec } from '../../dsar/types.js';
import { readKeyFile } from '../../logs/anonymize/keys.js';
import { EXIT } from '../exit-codes.js';
import { collect } from '../options.js';
import { emit } from '../output.js';

type OutFormat = 'text' | 'json';

interface SourceFlags extends DsarSourceFlags {
  imap?: string[];
}

interface EraseFlags extends SourceFlags {
  holdAddress?: string[];
  holdFolder?: string[];
  holdSource?: string[];
  apply?: boolean;
  dryRun?: boolean;
  receipt?: string;
  keyFile?: string;
  receiptKey?: string;
  format: OutFormat;
  out?: string;
}

interface VerifyFlags {
  subject?: string[];
  name?: string[];
  threads?: number;
  receiptKey?: string;
  format: OutFormat;
  out?: string;
}

function parseOut(value: string): OutFormat {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('expected text or json');
  return value;
}

/** Sources from the flags (or mailcomply.yaml), plus `--imap` URLs. */
function sourcesOf(f: SourceFlags, cmd: Command): SourceSpec[] {
  const imap = (f.imap ?? []).map((v) => parseSourceFlag('imap', v));
  const onDisk = [f.maildir, f.mbox, f.emlDir, f.log].some((v) => v?.length);
  if (imap.length && !onDisk) return imap;
  return [...sourcesFrom(f, commandConfig(cmd).config), ...imap];
}

/** IMAP secrets come from the environment, never from a URL or argv that `ps` shows. */
function imapCredentials(): { pass?: string; accessToken?: string } {
  const token = process.env.MAILCOMPLY_IMAP_TOKEN;
  if (token) return { accessToken: token };
  return { pass: process.env.MAILCOMPLY_IMAP_PASSWORD ?? '' };
}

function receiptKey(path: string | undefined): Buffer | undefined {
  return path ? readFileSync(path) : undefined;
}

function withSources(cmd: Command): Command {
  return addSourceOptions(cmd).option(
    '--imap <[kind=]url>',
    'IMAP mailbox imap(s)://user@host:port/ (secret in MAILCOMPLY_IMAP_PASSWORD or MAILCOMPLY_IMAP_TOKEN)',
    collect,
  );
}

/** `mailcomply dsar erase` and `mailcomply dsar verify`. */
export function registerDsarErase(program: Command): void {
  const dsar = dsarGroup(program);
  withSources(
    dsar
      .command('erase')
      .description('plan (default) or --apply the erasure of a data subject from mail stores and logs'),
  )
    .option(
      '--hold-address <address>',
      'legal hold: keep items that also name this address (repeatable)',
      collect,
    )
    .option('--hold-folder <folder>', 'legal hold: keep this folder (repeatable)', collect)
    .option('--hold-source <path|url>', 'legal hold: keep this whole source (repeatable)', collect)
    .option('--dry-run', 'only plan (the default)')
    .option('--apply', 'erase: unlink Maildir files, rewrite mboxes, expunge IMAP, pseudonymise log lines')
    .option('--receipt <file>', 'hash-chained receipt (JSON lines) to append to; required with --apply')
    .option('--key-file <file>', 'pseudonym key for log lines (as `logs anonymize --key-file`)')
    .option('--receipt-key <file>', 'HMAC key that signs the receipt entries')
    .option('--format <format>', 'text or json', parseOut, 'text')
    .option('--out <file>', 'write the plan or result to a file instead of stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply dsar erase --subject ann@example.org --maildir /var/vmail/example.org/ann\n  mailcomply dsar erase --subject ann@example.org --maildir /var/vmail/x --log /var/log/mail.log.1 \\\n    --hold-folder Legal --apply --receipt ann-erase.jsonl',
    )
    .action(async (flags: EraseFlags, cmd: Command) => {
      process.exitCode = await runErase(flags, cmd);
    });

  const verify = dsar
    .command('verify')
    .description('check an erase receipt and search its sources again: the subject must be gone')
    .argument('<receipt>', 'receipt written by `dsar erase --apply`')
    .option(
      '--subject <address>',
      "the subject's address (repeatable; the receipt keeps only digests)",
      collect,
    )
    .option('--name <name>', "the subject's display name (repeatable)", collect)
    .option('--receipt-key <file>', 'HMAC key the receipt was signed with')
    .option('--format <format>', 'text or json', parseOut, 'text')
    .option('--out <file>', 'write the result to a file instead of stdout');
  addThreadsOption(verify).action(async (receipt: string, flags: VerifyFlags) => {
    process.exitCode = await runVerify(receipt, flags);
  });
}

async function runErase(flags: EraseFlags, cmd: Command): Promise<number> {
  if (flags.apply && flags.dryRun) throw new UsageError('--apply and --dry-run exclude each other');
  if (flags.apply && !flags.receipt) throw new UsageError('--apply needs --receipt FILE');
  const subject = { addresses: flags.subject ?? [], names: flags.name ?? [] };
  // Absolute paths in the plan and receipt: `dsar verify` may run from another folder, months later.
  const sources = sourcesOf(flags, cmd).map((s) => (s.path ? { ...s, path: resolve(s.path) } : s));
  const hold = {
    addresses: flags.holdAddress ?? [],
    folders: flags.holdFolder ?? [],
    sources: flags.holdSource ?? [],
  };
  const progress =
    !flags.quiet && process.stderr.isTTY
      ? (items: number, _b: number, label: string) =>
          process.stderr.write(`\r${items} items searched (${label})`)
      : undefined;
  const { plan, find } = await planFromSources(sources, subject, hold, {
    threads: threadsFor(flags),
    ...(progress ? { onProgress: progress } : {}),
  });
  if (progress) process.stderr.write('\n');
  if (!flags.apply) {
    emit(
      flags.format === 'json' ? planJson(plan, find.problems.length) : planText(plan, find.problems.length),
      flags.out,
    );
    return EXIT.OK;
  }
  const { outcomes, summary } = await applyErase(plan, subject, {
    receipt: flags.receipt!,
    ...(flags.keyFile ? { logKeys: readKeyFile(flags.keyFile) } : {}),
    ...(flags.receiptKey ? { receiptKey: receiptKey(flags.receiptKey)! } : {}),
    ...(pauseHookFromEnv() ? { step: pauseHookFromEnv()! } : {}),
    imap: async (items) => {
      const { connectImap, eraseImapItems } = await import('../../dsar/erase/imap.js');
      return eraseImapItems(items, (url) => connectImap(url, imapCredentials()));
    },
  });
  emit(
    flags.format === 'json'
      ? `${JSON.stringify({ schema: 1, summary, outcomes, held: plan.held }, null, 2)}\n`
      : resultText(plan, outcomes, summary, flags.receipt!),
    flags.out,
  );
  // Items left in place for a reason other than a hold mean the request is not yet fully answered.
  return summary.changed + summary.failed > 0 ? EXIT.FINDINGS : EXIT.OK;
}

function planJson(plan: ErasePlan, problems: number): string {
  return `${JSON.stringify({ schema: 1, dryRun: true, items: plan.items, held: plan.held, problems }, null, 2)}\n`;
}

function planText(plan: ErasePlan, problems: number): string {
  const lines = [`Erase plan (dry run; add --apply --receipt FILE to carry it out)`, ''];
  for (const s of plan.sources) {
    const label = sourceLabel(s);
    const mine = plan.items.filter((i) => sourceLabel({ ...s, ...locSource(i.location) }) === label);
    const held = plan.held.filter((h) => sourceLabel({ ...s, ...locSource(h.location) }) === label);
    lines.push(
      `${label} (${s.kind}): ${mine.length} to ${s.type === 'log' ? 'pseudonymise' : 'delete'}, ${held.length} held`,
    );
    for (const i of mine) lines.push(`  ${i.action.padEnd(16)}${locationText(i.location)}`);
    for (const h of held) lines.push(`  ${`held (${h.hold})`.padEnd(16)}${locationText(h.location)}`);
  }
  lines.push('', `${plan.items.length} item(s) planned, ${plan.held.length} held by legal hold`);
  if (problems) lines.push(`${problems} item(s) could not be searched (see dsar find)`);
  return `${lines.join('\n')}\n`;
}

function locSource(l: ErasePlan['items'][number]['location']): Partial<SourceSpec> {
  return l.type === 'imap' ? { url: l.url } : { path: l.path };
}

function resultText(plan: ErasePlan, outcomes: EraseOutcome[], s: EraseSummary, receipt: string): string {
  const lines = [
    `Erased ${s.erased}, pseudonymised ${s.pseudonymised} log line(s), held ${s.held} of ${s.planned + s.held} matching item(s).`,
  ];
  for (const o of outcomes.filter((x) => x.result !== 'erased' && x.result !== 'pseudonymised'))
    lines.push(`  ${o.result.padEnd(8)} ${locationText(o.location)}: ${o.reason ?? ''}`);
  for (const h of plan.held) lines.push(`  held     ${locationText(h.location)} (${h.hold} hold)`);
  lines.push(`Receipt: ${receipt} (check it with: mailcomply dsar verify ${receipt} --subject ...)`);
  return `${lines.join('\n')}\n`;
}

async function runVerify(receipt: string, flags: VerifyFlags): Promise<number> {
  const subject = { addresses: flags.subject ?? [], names: flags.name ?? [] };
  if (!subject.addresses.length)
    throw new UsageError('verify needs --subject: the receipt keeps only digests');
  const key = receiptKey(flags.receiptKey);
  const r = await verifyErase(receipt, subject, {
    threads: threadsFor(flags),
    ...(key ? { receiptKey: key } : {}),
  });
  emit(
    flags.format === 'json' ? `${JSON.stringify({ schema: 1, ...r }, null, 2)}\n` : verifyText(r),
    flags.out,
  );
  return r.ok ? EXIT.OK : EXIT.FINDINGS;
}

function verifyText(r: VerifyResult): string {
  const lines = [
    `Receipt chain: ${r.chain.ok ? `intact (${r.chain.lines} entries)` : `BROKEN at line ${r.chain.brokenAt}: ${r.chain.reason}`}`,
    `Subject: ${r.subjectMatches ? 'matches the receipt' : 'NOT the subject of this receipt'}`,
    `Recorded as erased or pseudonymised: ${r.recorded}${r.unfinished ? ` (and ${r.unfinished} begun by a run that stopped before recording the outcome)` : ''}`,
    `Searched again: ${r.sources.map(sourceLabel).join(', ') || 'no sources'}`,
    `Still found: ${r.remaining.length}${r.held.length ? ` (plus ${r.held.length} under legal hold)` : ''}`,
  ];
  for (const m of r.remaining) lines.push(`  ${locationText(m.location)}`);
  if (r.problems) lines.push(`${r.problems} item(s) could not be searched`);
  lines.push(r.ok ? 'Verified: the subject is no longer found.' : 'NOT verified.');
  return `${lines.join('\n')}\n`;
}
