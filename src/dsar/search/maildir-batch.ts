import type { IdentityMatcher } from '../identity.js';
import { sha256 } from '../sources/fs-util.js';
import { folderDir, readListed, type MaildirListing } from '../sources/maildir.js';
import type { ReadScratch } from '../sources/read-file.js';
import { scanMessage, type MessageScan } from './message.js';
import type { Prefilter } from './prefilter.js';

/** A run of files of one cur/ or new/ directory of a Maildir: the unit a search lane takes. */
export type MaildirBatch = MaildirListing;

/** A file of a batch that the pre-filter did not rule out, or could not be read. */
export type FileResult =
  | { t: 'problem'; item: string; reason: string }
  /** Scanned; a match comes with its sha256, and with its bytes when they were asked for. */
  | {
      t: 'scan';
      raw?: Uint8Array;
      sha256?: string;
      size: number;
      sub: 'cur' | 'new';
      file: string;
      scan: MessageScan | undefined;
    };

/**
 * What searching a batch gave. Most files are ruled out by the pre-filter and only counted: an
 * object per file, cloned between threads and settled one by one, had the calling thread busy
 * with bookkeeping while the worker waited for work (bench:dsar).
 */
export interface BatchResult {
  ruledOut: number;
  ruledOutBytes: number;
  /** Files scanned in full and files that could not be read, in listing order. */
  found: FileResult[];
}

/** What one search lane (the calling thread or a worker) keeps from one file to the next. */
export interface Lane {
  id: IdentityMatcher;
  canMatch: Prefilter;
  scratch: ReadScratch;
}

/**
 * Reads, pre-filters and scans the files of a batch. The bytes of a file live in the lane's
 * scratch buffer until the next read: a match takes its sha256 with it, and its bytes only when
 * `keepBytes` (export); `transfer` collects the buffers of those bytes for a postMessage.
 */
export function searchBatch(
  batch: MaildirBatch,
  lane: Lane,
  keepBytes: boolean,
  transfer?: ArrayBuffer[],
): BatchResult {
  const result: BatchResult = { ruledOut: 0, ruledOutBytes: 0, found: [] };
  const dir = folderDir(batch.root, batch.folder);
  const name = (file: string): string => batchItemName(batch, file);
  for (const listed of batch.files) {
    const got = readListed(dir, batch.sub, listed, lane.scratch);
    if (!got) continue; // not a file
    if ('reason' in got) result.found.push({ t: 'problem', item: name(listed), reason: got.reason });
    else if (!lane.canMatch(got.raw)) {
      result.ruledOut++;
      result.ruledOutBytes += got.raw.length;
    } else result.found.push(scanned(got.raw, got.sub, got.file, lane, keepBytes, transfer));
  }
  return result;
}

function scanned(
  raw: Buffer,
  sub: 'cur' | 'new',
  file: string,
  lane: Lane,
  keepBytes: boolean,
  transfer: ArrayBuffer[] | undefined,
): FileResult {
  const scan = scanSafe(raw, lane);
  const size = raw.length;
  if (!scan?.hits.length) return { t: 'scan', size, sub, file, scan };
  const hash = sha256(raw);
  if (!keepBytes) return { t: 'scan', size, sub, file, scan, sha256: hash };
  const copy = new Uint8Array(raw); // out of the scratch buffer, which the next read overwrites
  transfer?.push(copy.buffer);
  return { t: 'scan', raw: copy, size, sub, file, scan, sha256: hash };
}

/** The full scan of a message, or undefined when it could not be parsed (reported as such). */
export function scanSafe(raw: Buffer, lane: Pick<Lane, 'id' | 'canMatch'>): MessageScan | undefined {
  try {
    return scanMessage(raw, lane.id, lane.canMatch.needles);
  } catch {
    return undefined;
  }
}

/** How a file of a batch is named in problem lists. */
export function batchItemName(batch: MaildirBatch, file: string): string {
  return `${batch.folder || 'INBOX'}/${batch.sub}/${file}`;
}
