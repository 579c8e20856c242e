import type { IdentityMatcher } from '../identity.js';
import { readSource, sourceLabel } from '../sources/index.js';
import type { SourceItem } from '../sources/types.js';
import type { Hit, ItemProblem, Match, SourceKind, SourceSpec } from '../types.js';
import { scanMessage, type MessageScan } from './message.js';
import { ScanPool } from './pool.js';
import type { LogEvent } from '../../logs/parse/types.js';

/** Per source: what was read and what matched. */
export interface SourceSummary {
  source: SourceSpec;
  label: string;
  items: number;
  bytes: number;
  matches: number;
  problems: number;
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
  /** Worker threads that scan messages (default 1: scan on the calling thread). */
  threads?: number;
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
  const pool = (opts.threads ?? 1) > 1 ? new ScanPool(opts.threads ?? 1, id.subject) : undefined;
  // Items wait here in source order while workers scan them, so results keep that order.
  const queue: Queued[] = [];
  const settle = async (q: Queued): Promise<void> => {
    const { item, source, summary } = q;
    if (item.type === 'problem') {
      summary.problems++;
      result.problems.push({ source, item: item.item, reason: item.reason });
      return;
    }
    const match = item.type === 'message' ? toMatch(item, await q.scan, result, source) : matchLog(item, id);
    if (!match) return;
    summary.matches++;
    result.matches.push(match);
    result.countsByKind[match.location.kind] = (result.countsByKind[match.location.kind] ?? 0) + 1;
    if (opts.onMatch) await opts.onMatch(match, item);
  };
  try {
    for (const source of sources) {
      const label = sourceLabel(source);
      const summary: SourceSummary = { source, label, items: 0, bytes: 0, matches: 0, problems: 0 };
      result.sources.push(summary);
      for await (const item of readSource(source)) {
        if (item.type !== 'problem') {
          const size = item.type === 'message' ? item.raw.length : Buffer.byteLength(item.text);
          summary.items++;
          summary.bytes += size;
          items++;
          bytes += size;
          if (opts.onProgress && items % 500 === 0) opts.onProgress(items, bytes, label);
        }
        const q: Queued = { item, source, summary };
        if (item.type === 'message')
          // A worker that fails turns its messages into 'could not be parsed' problems, never a crash.
          q.scan = pool
            ? pool.scan(item.raw).then(
                (r) => {
                  item.raw = r.raw;
                  return r.scan;
                },
                () => undefined,
              )
            : Promise.resolve(scanSafe(item.raw, id));
        queue.push(q);
        while (queue.length > (pool ? QUEUE_PER_THREAD * (opts.threads ?? 1) : 0))
          await settle(queue.shift() as Queued);
      }
    }
    while (queue.length) await settle(queue.shift() as Queued);
  } finally {
    await pool?.close();
  }
  opts.onProgress?.(items, bytes, 'done');
  result.finishedAt = clock().toISOString();
  return result;
}

interface Queued {
  item: SourceItem;
  source: SourceSpec;
  summary: SourceSummary;
  scan?: Promise<MessageScan | undefined>;
}

/** Messages in flight per worker: enough to keep it busy, few enough to bound memory. */
const QUEUE_PER_THREAD = 16;

function scanSafe(raw: Buffer, id: IdentityMatcher): MessageScan | undefined {
  try {
    return scanMessage(raw, id);
  } catch {
    return undefined;
  }
}

function toMatch(
  item: Extract<SourceItem, { type: 'message' }>,
  scan: MessageScan | undefined,
  result: FindResult,
  source: SourceSpec,
): Match | undefined {
  if (!scan) {
    result.problems.push({ source, item: itemName(item), reason: 'message could not be parsed' });
    return undefined;
  }
  for (const p of scan.problems) result.problems.push({ source, item: itemName(item), reason: p });
  if (scan.hits.length === 0) return undefined;
  const m: Match = { location: item.location, size: item.raw.length, hits: scan.hits };
  if (scan.messageId) m.messageId = scan.messageId;
  if (scan.date) m.date = scan.date;
  if (scan.subject) m.subject = scan.subject;
  if (scan.counterpartDomains.length) m.counterpartDomains = scan.counterpartDomains;
  return m;
}

/** A short name of an item inside its source, for problem lists. */
export function itemName(item: { location: Match['location'] }): string {
  const l = item.location;
  switch (l.type) {
    case 'maildir':
      return `${l.folder || 'INBOX'}/${l.sub}/${l.file}`;
    case 'mbox':
      return `bytes ${l.start}-${l.end}`;
    case 'eml-dir':
      return l.file;
    case 'imap':
      return `${l.folder} UID ${l.uid}`;
    case 'log':
      return `line ${l.line}`;
  }
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
