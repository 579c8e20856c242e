import type { IdentityMatcher } from '../identity.js';
import { sha256 } from '../sources/fs-util.js';
import { listMaildir, maildirMessage, readMaildirEntry, type MaildirEntry } from '../sources/maildir.js';
import { readSource } from '../sources/index.js';
import type { ReadScratch } from '../sources/read-file.js';
import type { SourceItem } from '../sources/types.js';
import type { SourceSpec } from '../types.js';
import { scanMessage, type MessageScan } from './message.js';
import type { FileResult, ScanPool } from './pool.js';
import type { Prefilter } from './prefilter.js';

type Message = Extract<SourceItem, { type: 'message' }>;

/** One item of a source and what the search made of it, in source order. */
export type Ready =
  | { kind: 'problem'; item: string; reason: string }
  /** Read, and ruled out by the pre-filter: the full scan could not have found anything. */
  | { kind: 'ruled-out'; size: number }
  /**
   * Fully scanned; `scan` is undefined when the message could not be parsed. Only a match keeps
   * its bytes in `item.raw` (for export); `size` is the message's size either way.
   */
  | { kind: 'message'; item: Message; scan: MessageScan | undefined; size: number }
  | { kind: 'log'; item: Extract<SourceItem, { type: 'log' }> };

/**
 * Items on their way. `weight` bounds what is in flight: a Maildir batch weighs its file count
 * (only its matches come back with bytes), a message sent to a worker on its own weighs
 * MESSAGE_WEIGHT (it travels with all its bytes, up to the message size limit).
 */
export interface Pending {
  ready: Ready[] | Promise<Ready[]>;
  weight: number;
}

const EMPTY = Buffer.alloc(0);

const now = (ready: Ready[]): Pending => ({ ready, weight: 1 });

/** With 128 units per worker (run.ts): 16 whole messages, as many as before Maildir batches. */
const MESSAGE_WEIGHT = 8;

/** What every source reader of one search shares. */
export interface FeedContext {
  id: IdentityMatcher;
  canMatch: Prefilter;
  pool?: ScanPool;
  scratch: ReadScratch;
  /** Keep the bytes of matches (export needs them; find only their sha256). */
  keepBytes: boolean;
}

/** Maildir files per request to a worker: enough to make messaging cheap, few to bound memory. */
const FILES_PER_BATCH = 64;

/**
 * Reads one source and yields its items, ready or on their way (a worker is scanning them). Every
 * message goes through the pre-filter first. Maildir files are read into one reused buffer and
 * only matches are copied out of it (and hashed); with workers, the workers read them too.
 */
export async function* feedSource(source: SourceSpec, ctx: FeedContext): AsyncGenerator<Pending> {
  if (source.type === 'maildir' && source.path !== undefined) {
    yield* ctx.pool ? feedMaildirToPool(source.path, source, ctx) : feedMaildir(source.path, source, ctx);
    return;
  }
  for await (const item of readSource(source)) {
    if (item.type === 'problem') yield now([{ kind: 'problem', item: item.item, reason: item.reason }]);
    else if (item.type === 'log') yield now([{ kind: 'log', item }]);
    else if (!ctx.canMatch(item.raw)) yield now([{ kind: 'ruled-out', size: item.raw.length }]);
    else if (!ctx.pool)
      yield now([{ kind: 'message', item, scan: scanSafe(item.raw, ctx.id), size: item.raw.length }]);
    else {
      const ready = ctx.pool.scan(item.raw).then(
        (r): Ready[] => {
          item.raw = r.raw;
          return [{ kind: 'message', item, scan: r.scan, size: r.raw.length }];
        },
        // A worker that fails turns its messages into 'could not be parsed' problems, never a crash.
        (): Ready[] => [{ kind: 'message', item, scan: undefined, size: 0 }],
      );
      yield { ready, weight: MESSAGE_WEIGHT };
    }
  }
}

/** Files read between two steps of the search loop (each step through the generators costs). */
const FILES_PER_STEP = 64;

async function* feedMaildir(path: string, source: SourceSpec, ctx: FeedContext): AsyncGenerator<Pending> {
  for await (const listed of listMaildir(path, source.kind)) {
    if (!Array.isArray(listed)) {
      yield now([{ kind: 'problem', item: listed.item, reason: listed.reason }]);
      continue;
    }
    for (let i = 0; i < listed.length; i += FILES_PER_STEP)
      yield now(listed.slice(i, i + FILES_PER_STEP).flatMap((entry) => readAndScan(entry, ctx)));
  }
}

function readAndScan(entry: MaildirEntry, ctx: FeedContext): Ready[] {
  const item = readMaildirEntry(entry, ctx.scratch);
  if (!item) return [];
  if (item.type === 'problem') return [{ kind: 'problem', item: item.item, reason: item.reason }];
  const size = item.raw.length;
  if (!ctx.canMatch(item.raw)) return [{ kind: 'ruled-out', size }];
  const scan = scanSafe(item.raw, ctx.id);
  // The shared buffer is read over next: a match takes its hash (and its bytes if asked) with it.
  if (scan?.hits.length) item.location.sha256 = sha256(item.raw);
  item.raw = scan?.hits.length && ctx.keepBytes ? Buffer.from(item.raw) : EMPTY;
  return [{ kind: 'message', item, scan, size }];
}

async function* feedMaildirToPool(
  path: string,
  source: SourceSpec,
  ctx: FeedContext,
): AsyncGenerator<Pending> {
  const pool = ctx.pool as ScanPool;
  const send = (entries: MaildirEntry[]): Pending => ({
    ready: pool.scanFiles(entries, ctx.keepBytes).then(
      (results) => results.flatMap((r, i) => fromWorker(entries[i] as MaildirEntry, r)),
      (): Ready[] =>
        entries.map((e) => ({ kind: 'problem', item: entryName(e), reason: 'could not be searched' })),
    ),
    weight: entries.length,
  });
  for await (const listed of listMaildir(path, source.kind)) {
    if (!Array.isArray(listed)) yield now([{ kind: 'problem', item: listed.item, reason: listed.reason }]);
    else
      for (let i = 0; i < listed.length; i += FILES_PER_BATCH)
        yield send(listed.slice(i, i + FILES_PER_BATCH));
  }
}

function fromWorker(entry: MaildirEntry, r: FileResult): Ready[] {
  switch (r.t) {
    case 'none':
      return [];
    case 'problem':
      return [{ kind: 'problem', item: r.item, reason: r.reason }];
    case 'out':
      return [{ kind: 'ruled-out', size: r.size }];
    case 'scan': {
      const raw = r.raw ? Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength) : EMPTY;
      const item = maildirMessage(entry, raw, r.sub, r.file, r.sha256 ?? '');
      return [{ kind: 'message', item, scan: r.scan, size: r.size }];
    }
  }
}

function entryName(e: MaildirEntry): string {
  return `${e.folder || 'INBOX'}/${e.sub}/${e.file}`;
}

function scanSafe(raw: Buffer, id: IdentityMatcher): MessageScan | undefined {
  try {
    return scanMessage(raw, id);
  } catch {
    return undefined;
  }
}
