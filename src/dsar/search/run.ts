import type { IdentityMatcher } from '../identity.js';
import { sourceLabel } from '../sources/index.js';
import type { SourceItem } from '../sources/types.js';
import { itemName } from '../sources/item-name.js';
import type { Hit, ItemProblem, Match, SourceKind, SourceSpec } from '../types.js';
import { feedSource, WORKERS_AFTER, type FeedContext, type Pending, type Ready } from './feed.js';
import type { MessageScan } from './message.js';
import { ScanPool } from './pool.js';
import { compilePrefilter } from './prefilter.js';
import type { LogEvent } from '../../logs/parse/types.js';

/** Per source: what was read and what matched. */
export interface SourceSummary {
  source: SourceSpec;
  label: string;
  items: number;
  bytes: number;
  matches: number;
  problems: number;
  /** Messages fully parsed and decoded; the pre-filter proved the others hold no match. */
  decoded: number;
}

/** The result of `dsar find`. */
export interface FindResult {
  subject: { addresses: string[]; names: string[] };
  startedAt: string;
  finishedAt: string;
  sources: SourceSummary[];
  matches: Match[];
  problems: ItemProblem[];
  /** Matching items per source kind. */
  countsByKind: Partial<Record<SourceKind, number>>;
}

/** Called for every match, with the item's bytes (export streams them into the package). */
export type OnMatch = (
  match: Match,
  item: Extract<SourceItem, { type: 'message' | 'log' }>,
) => void | Promise<void>;

/** Options of a search. */
export interface FindOptions {
  onMatch?: OnMatch;
  /** Progress: items read so far and the current source label. */
  onProgress?: (items: number, bytes: number, label: string) => void;
  clock?: () => Date;
  /**
   * Threads that search (default 1: the calling thread only). The calling thread is always one of
   * them; the others are workers.
   */
  threads?: number;
  /**
   * Messages searched on the calling thread before workers get any (default 256); with 0 the
   * search first waits for the workers to start, so that they take part from the first message.
   */
  workersAfter?: number;
}

const LOG_FIELDS = ['from', 'to', 'origTo', 'saslUsername', 'loginUser'] as const;

/** Searches every source for the data subject; unreadable items are reported and the run goes on. */
export async function runFind(
  sources: readonly SourceSpec[],
  id: IdentityMatcher,
  opts: FindOptions = {},
): Promise<FindResult> {
  const clock = opts.clock ?? (() => new Date());
  const result: FindResult = {
    subject: { addresses: [...id.subject.addresses], names: [...id.subject.names] },
    startedAt: clock().toISOString(),
    finishedAt: '',
    sources: [],
    matches: [],
    problems: [],
    countsByKind: {},
  };
  let items = 0;
  let bytes = 0;
  const threads = opts.threads ?? 1;
  const pool = threads > 1 ? new ScanPool(threads - 1, id.subject) : undefined;
  const canMatch = compilePrefilter(id.subject);
  const ctx: FeedContext = {
    id,
    canMatch,
    scratch: canMatch.scratch,
    keepBytes: opts.onMatch !== undefined,
    seen: 0,
    workersAfter: opts.workersAfter ?? WORKERS_AFTER,
  };
  if (pool) ctx.pool = pool;
  if (pool && ctx.workersAfter === 0) await pool.whenReady();
  let progressAt = 0;
  /** Counts an item and reports it; only a match with an onMatch callback may need awaiting. */
  const settle = (r: Ready, source: SourceSpec, summary: SourceSummary): void | Promise<void> => {
    if (r.kind === 'problem') {
      summary.problems++;
      result.problems.push({ source, item: r.item, reason: r.reason });
      return;
    }
    const size = r.kind === 'log' ? Buffer.byteLength(r.item.text) : r.size;
    const count = r.kind === 'ruled-out' ? r.count : 1;
    summary.items += count;
    summary.bytes += size;
    items += count;
    bytes += size;
    if (opts.onProgress && items >= progressAt + 500) {
      progressAt = items - (items % 500);
      opts.onProgress(items, bytes, summary.label);
    }
    if (r.kind === 'ruled-out') return;
    if (r.kind === 'message') summary.decoded++;
    const match =
      r.kind === 'message' ? toMatch(r.item, r.scan, r.size, result, source) : matchLog(r.item, id);
    if (!match) return;
    summary.matches++;
    result.matches.push(match);
    result.countsByKind[match.location.kind] = (result.countsByKind[match.location.kind] ?? 0) + 1;
    if (opts.onMatch) return opts.onMatch(match, r.item);
  };
  // Items wait here in source order while workers read and scan them, so results keep that order.
  const queue: (Pending & { source: SourceSpec; summary: SourceSummary })[] = [];
  let inFlight = 0;
  const settleFirst = async (): Promise<void> => {
    const q = queue.shift();
    if (!q) return;
    inFlight -= q.weight;
    const ready = Array.isArray(q.ready) ? q.ready : await q.ready;
    for (const r of ready) {
      const waiting = settle(r, q.source, q.summary);
      if (waiting) await waiting;
    }
  };
  try {
    for (const source of sources) {
      const label = sourceLabel(source);
      const summary: SourceSummary = {
        source,
        label,
        items: 0,
        bytes: 0,
        matches: 0,
        problems: 0,
        decoded: 0,
      };
      result.sources.push(summary);
      for await (const pending of feedSource(source, ctx)) {
        queue.push({ ...pending, source, summary });
        inFlight += pending.weight;
        while (queue.length && inFlight > (pool ? IN_FLIGHT_PER_THREAD * threads : 0)) await settleFirst();
      }
    }
    while (queue.length) await settleFirst();
  } finally {
    await pool?.close();
  }
  opts.onProgress?.(items, bytes, 'done');
  result.finishedAt = clock().toISOString();
  return result;
}

/**
 * Weight in flight per thread (see Pending in feed.ts): four Maildir batches or 16 messages that
 * may match, enough for the threads never to wait on one another's order, few enough to bound
 * memory.
 */
const IN_FLIGHT_PER_THREAD = 512;

function toMatch(
  item: Extract<SourceItem, { type: 'message' }>,
  scan: MessageScan | undefined,
  size: number,
  result: FindResult,
  source: SourceSpec,
): Match | undefined {
  if (!scan) {
    result.problems.push({ source, item: itemName(item), reason: 'message could not be parsed' });
    return undefined;
  }
  for (const p of scan.problems) result.problems.push({ source, item: itemName(item), reason: p });
  if (scan.hits.length === 0) return undefined;
  const m: Match = { location: item.location, size, hits: scan.hits };
  if (scan.messageId) m.messageId = scan.messageId;
  if (scan.date) m.date = scan.date;
  if (scan.subject) m.subject = scan.subject;
  if (scan.counterpartDomains.length) m.counterpartDomains = scan.counterpartDomains;
  return m;
}

function matchLog(item: Extract<SourceItem, { type: 'log' }>, id: IdentityMatcher): Match | undefined {
  const found = id.addresses(item.text);
  if (found.length === 0) return undefined;
  const hits: Hit[] = [];
  const ev: LogEvent | undefined = item.event;
  for (const index of found) {
    let field = 'message';
    if (ev) {
      for (const f of LOG_FIELDS) {
        const v = ev[f];
        const text = Array.isArray(v) ? v.join(' ') : v;
        if (text && id.addresses(text).includes(index)) {
          field = f;
          break;
        }
      }
    } else field = 'line';
    hits.push({ place: { where: 'log', field }, by: 'address', index });
  }
  const m: Match = { location: item.location, size: Buffer.byteLength(item.text), hits };
  if (ev?.messageId) m.messageId = ev.messageId;
  if (ev?.time) m.date = ev.time;
  return m;
}
