import type { IdentityMatcher } from '../identity.js';
import { listMaildir, maildirMessage } from '../sources/maildir.js';
import { readSource } from '../sources/index.js';
import { itemName } from '../sources/item-name.js';
import type { ReadScratch } from '../sources/read-file.js';
import type { SourceItem } from '../sources/types.js';
import type { SourceSpec } from '../types.js';
import {
  batchItemName,
  scanSafe,
  searchBatch,
  type BatchResult,
  type FileResult,
  type MaildirBatch,
} from './maildir-batch.js';
import type { MessageScan } from './message.js';
import type { ScanPool } from './pool.js';
import type { Prefilter } from './prefilter.js';

type Message = Extract<SourceItem, { type: 'message' }>;

/** One item of a source and what the search made of it, in source order. */
export type Ready =
  | { kind: 'problem'; item: string; reason: string }
  /** Read, and ruled out by the pre-filter: the full scan could not have found anything. */
  | { kind: 'ruled-out'; count: number; size: number }
  /**
   * Fully scanned; `scan` is undefined when the message could not be parsed. Only a match keeps
   * its bytes in `item.raw` (for export); `size` is the message's size either way.
   */
  | { kind: 'message'; item: Message; scan: MessageScan | undefined; size: number }
  | { kind: 'log'; item: Extract<SourceItem, { type: 'log' }> };

/**
 * Items on their way. `weight` bounds what is in flight: a Maildir batch weighs its file count
 * (only its matches hold bytes, and only for export), a message that may match weighs
 * MESSAGE_WEIGHT (it waits with all its bytes, up to the message size limit).
 */
export interface Pending {
  ready: Ready[] | Promise<Ready[]>;
  weight: number;
}

const EMPTY = Buffer.alloc(0);

const THREAD_STOPPED = 'not searched: its search thread stopped (search again)';

const now = (ready: Ready[]): Pending => ({ ready, weight: 1 });

/** With 512 units per thread (run.ts): 16 whole messages waiting with their bytes per thread. */
const MESSAGE_WEIGHT = 32;

/** What every source reader of one search shares: the calling thread's lane, and the workers. */
export interface FeedContext {
  id: IdentityMatcher;
  canMatch: Prefilter;
  pool?: ScanPool;
  scratch: ReadScratch;
  /** Keep the bytes of matches (export needs them; find only their sha256). */
  keepBytes: boolean;
  /** Messages met so far, in every source: the workers get work only once there is enough. */
  seen: number;
  /** Messages searched here before the workers get any (WORKERS_AFTER unless a test says). */
  workersAfter: number;
}

/**
 * Messages a search goes through on the calling thread before it gives workers any: a worker
 * takes about a tenth of a second to start, in which this thread searches a few thousand.
 */
export const WORKERS_AFTER = 256;

/** The workers, if the search is big enough for them yet. */
function poolFor(ctx: FeedContext, count: number): ScanPool | undefined {
  ctx.seen += count;
  return ctx.seen > ctx.workersAfter ? ctx.pool : undefined;
}

/**
 * Files per batch: enough to make messaging and each step through the generators cheap, few
 * enough to bound memory and to share the work out evenly at the end of a folder.
 */
const FILES_PER_BATCH = 128;

/**
 * Reads one source and yields its items, ready or on their way (a worker is scanning them). Every
 * message goes through the pre-filter first. Maildir files go by batches to a worker with room,
 * or are searched on this thread when none has (see ScanPool).
 */
export async function* feedSource(source: SourceSpec, ctx: FeedContext): AsyncGenerator<Pending> {
  if (source.type === 'maildir' && source.path !== undefined) {
    yield* feedMaildir(source.path, source, ctx);
    return;
  }
  for await (const item of readSource(source)) {
    if (item.type === 'problem') yield now([{ kind: 'problem', item: item.item, reason: item.reason }]);
    else if (item.type === 'log') yield now([{ kind: 'log', item }]);
    else if (!ctx.canMatch(item.raw)) yield now([{ kind: 'ruled-out', count: 1, size: item.raw.length }]);
    else {
      const sent = poolFor(ctx, 1)?.tryScan(item.raw);
      if (!sent) {
        // Scanned here, but it may wait behind a worker's items with all its bytes: it weighs as much.
        const ready: Ready[] = [
          { kind: 'message', item, scan: scanSafe(item.raw, ctx), size: item.raw.length },
        ];
        yield { ready, weight: MESSAGE_WEIGHT };
        continue;
      }
      const ready = sent.then(
        (r): Ready[] => {
          item.raw = r.raw;
          return [{ kind: 'message', item, scan: r.scan, size: r.raw.length }];
        },
        // A worker that stops took the bytes with it: the message is listed as not searched.
        (): Ready[] => [{ kind: 'problem', item: itemName(item), reason: THREAD_STOPPED }],
      );
      yield { ready, weight: MESSAGE_WEIGHT };
    }
  }
}

async function* feedMaildir(path: string, source: SourceSpec, ctx: FeedContext): AsyncGenerator<Pending> {
  for await (const listed of listMaildir(path, source.kind)) {
    if ('type' in listed) {
      yield now([{ kind: 'problem', item: listed.item, reason: listed.reason }]);
      continue;
    }
    for (let i = 0; i < listed.files.length; i += FILES_PER_BATCH) {
      const batch: MaildirBatch = { ...listed, files: listed.files.slice(i, i + FILES_PER_BATCH) };
      const sent = poolFor(ctx, batch.files.length)?.trySearchBatch(batch, ctx.keepBytes);
      if (sent)
        yield {
          ready: sent.then(
            (r) => batchReady(batch, r),
            (): Ready[] =>
              batch.files.map((f) => ({
                kind: 'problem',
                item: batchItemName(batch, f),
                reason: THREAD_STOPPED,
              })),
          ),
          weight: batch.files.length,
        };
      else {
        // Searched here: it weighs as much, since with keepBytes its matches hold their bytes too.
        const ready = batchReady(batch, searchBatch(batch, ctx, ctx.keepBytes));
        yield { ready, weight: batch.files.length };
        // Let the workers' replies in: until they are, their slots look full and they sit idle.
        if (ctx.pool) await turn();
      }
    }
  }
}

/** One turn of the event loop (replies from workers are events; promises alone never let them in). */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function batchReady(batch: MaildirBatch, r: BatchResult): Ready[] {
  const out: Ready[] = [];
  if (r.ruledOut) out.push({ kind: 'ruled-out', count: r.ruledOut, size: r.ruledOutBytes });
  for (const f of r.found) out.push(fileReady(batch, f));
  return out;
}

function fileReady(batch: MaildirBatch, f: FileResult): Ready {
  if (f.t === 'problem') return { kind: 'problem', item: f.item, reason: f.reason };
  const raw = f.raw ? Buffer.from(f.raw.buffer, f.raw.byteOffset, f.raw.byteLength) : EMPTY;
  const item = maildirMessage(batch, raw, f.sub, f.file, f.sha256 ?? '');
  return { kind: 'message', item, scan: f.scan, size: f.size };
}
