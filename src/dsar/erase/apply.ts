import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { appendEvidence } from '../../core/evidence-chain.js';
import type { AnonymizerKeys } from '../../logs/anonymize/keys.js';
import { normaliseAddress, type DataSubject } from '../identity.js';
import type { MatchLocation } from '../types.js';
import { SubjectPseudonymiser, pseudonymiseLogLines } from './log-lines.js';
import { eraseMaildirItem } from './maildir.js';
import { eraseMboxItems, type StepHook } from './mbox.js';
import type { EraseOutcome, ErasePlan, EraseSummary } from './types.js';

/** Options of {@link applyErase}. */
export interface ApplyOptions {
  /** The receipt: a hash-chained evidence file (JSON lines), appended to. */
  receipt: string;
  /** Keys for log pseudonyms (same as `logs anonymize --key-file`); random per run otherwise. */
  logKeys?: AnonymizerKeys;
  /** HMAC key that signs receipt entries. */
  receiptKey?: Buffer;
  clock?: () => Date;
  /** Erases IMAP items; absent means IMAP items fail with a reason. */
  imap?: (items: Extract<MatchLocation, { type: 'imap' }>[]) => Promise<EraseOutcome[]>;
  /** Called after each item is acted on (and inside an mbox rewrite, per message, before the rename). */
  step?: StepHook;
}

/** Digests that identify the subject in a receipt without writing the address down again. */
export function subjectDigests(subject: DataSubject): string[] {
  return subject.addresses.map((a) => {
    const { local, domains } = normaliseAddress(a);
    return createHash('sha256').update(`${local}@${domains[0]}`).digest('hex');
  });
}

/**
 * A test hook: with MAILCOMPLY_ERASE_PAUSE_AFTER=N the run stops after N steps and waits to be
 * killed, so the crash-safety test can kill it at a chosen point.
 */
export function pauseHookFromEnv(env: NodeJS.ProcessEnv = process.env): StepHook | undefined {
  const n = Number(env.MAILCOMPLY_ERASE_PAUSE_AFTER);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  let steps = 0;
  return async () => {
    if (++steps !== n) return;
    process.stderr.write('mailcomply: erase paused\n');
    await new Promise<void>(() => {
      setInterval(() => undefined, 1 << 30);
    });
  };
}

function eraseFile(loc: Extract<MatchLocation, { type: 'eml-dir' }>): EraseOutcome {
  const file = join(loc.path, loc.file);
  try {
    const bytes = readFileSync(file);
    if (createHash('sha256').update(bytes).digest('hex') !== loc.sha256)
      return { location: loc, result: 'changed', reason: 'file changed since the search; not erased' };
    unlinkSync(file);
    return { location: loc, result: 'erased' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? { location: loc, result: 'missing', reason: 'file no longer exists' }
      : { location: loc, result: 'failed', reason: `cannot erase: ${code ?? 'error'}` };
  }
}

function group<T extends MatchLocation>(items: T[], key: (l: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

/**
 * Carries out a plan, recording every outcome in the receipt as it happens (each entry fsynced), so
 * a run killed half way leaves a receipt of exactly what was done before it stopped.
 */
export async function applyErase(
  plan: ErasePlan,
  subject: DataSubject,
  opts: ApplyOptions,
): Promise<{ outcomes: EraseOutcome[]; summary: EraseSummary }> {
  const ev = {
    ...(opts.receiptKey ? { key: opts.receiptKey } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  };
  const step = opts.step ?? (async () => undefined);
  await appendEvidence(
    opts.receipt,
    {
      action: 'dsar.erase',
      phase: 'start',
      subject: { addressSha256: subjectDigests(subject), names: subject.names.length },
      sources: plan.sources,
      planned: plan.items.length,
    },
    ev,
  );
  for (const h of plan.held) await appendEvidence(opts.receipt, { action: 'dsar.erase.held', ...h }, ev);
  const outcomes: EraseOutcome[] = [];
  const record = async (o: EraseOutcome): Promise<void> => {
    outcomes.push(o);
    await appendEvidence(opts.receipt, { action: 'dsar.erase.item', ...o }, ev);
  };
  // An intent entry goes before each destructive act: if the process dies between the act and its
  // outcome entry, the receipt still names the item, and `dsar verify` settles whether it is gone.
  const intent = (locations: MatchLocation[]): Promise<unknown> =>
    appendEvidence(opts.receipt, { action: 'dsar.erase.intent', locations }, ev);
  const locs = plan.items.map((i) => i.location);
  for (const loc of locs) {
    if (loc.type !== 'maildir' && loc.type !== 'eml-dir') continue;
    await intent([loc]);
    await record(loc.type === 'maildir' ? eraseMaildirItem(loc) : eraseFile(loc));
    await step();
  }
  const mbox = locs.filter((l): l is Extract<MatchLocation, { type: 'mbox' }> => l.type === 'mbox');
  for (const [path, items] of group(mbox, (l) => l.path)) {
    await intent(items);
    for (const o of await eraseMboxItems(path, items, step)) await record(o);
  }
  const imap = locs.filter((l): l is Extract<MatchLocation, { type: 'imap' }> => l.type === 'imap');
  if (imap.length) {
    await intent(imap);
    const res = opts.imap
      ? await opts.imap(imap)
      : imap.map((location) => ({ location, result: 'failed' as const, reason: 'no IMAP connection' }));
    for (const o of res) await record(o);
  }
  const logs = locs.filter((l): l is Extract<MatchLocation, { type: 'log' }> => l.type === 'log');
  if (logs.length) {
    const pseudo = new SubjectPseudonymiser(subject, opts.logKeys);
    for (const [path, items] of group(logs, (l) => l.path)) {
      await intent(items);
      for (const o of pseudonymiseLogLines(path, items, pseudo)) await record(o);
      await step();
    }
  }
  const summary = summarise(plan, outcomes);
  await appendEvidence(opts.receipt, { action: 'dsar.erase', phase: 'end', summary }, ev);
  return { outcomes, summary };
}

/** Counts of a run. */
export function summarise(plan: ErasePlan, outcomes: readonly EraseOutcome[]): EraseSummary {
  const n = (r: EraseOutcome['result']): number => outcomes.filter((o) => o.result === r).length;
  return {
    planned: plan.items.length,
    erased: n('erased'),
    pseudonymised: n('pseudonymised'),
    held: plan.held.length,
    changed: n('changed'),
    missing: n('missing'),
    failed: n('failed'),
  };
}
