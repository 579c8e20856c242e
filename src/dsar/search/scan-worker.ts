import { parentPort, workerData } from 'node:worker_threads';
import { compileIdentity, type DataSubject } from '../identity.js';
import { sha256 } from '../sources/fs-util.js';
import { readMaildirEntry, type MaildirEntry } from '../sources/maildir.js';
import type { ReadScratch } from '../sources/read-file.js';
import { scanMessage } from './message.js';
import type { FileResult } from './pool.js';
import { compilePrefilter } from './prefilter.js';

// One worker of ScanPool: compiles the subject once, then scans the messages it is sent, or reads,
// pre-filters and scans the Maildir files it is sent (so that both cores read, too).
const id = compileIdentity(workerData as DataSubject);
const canMatch = compilePrefilter(workerData as DataSubject);
const scratch: ReadScratch = { buf: Buffer.allocUnsafe(256 * 1024) };

type Request = { seq: number; raw: Uint8Array } | { seq: number; files: MaildirEntry[]; keepBytes: boolean };

function scanFile(entry: MaildirEntry, keepBytes: boolean, transfer: ArrayBuffer[]): FileResult {
  const item = readMaildirEntry(entry, scratch);
  if (!item) return { t: 'none' };
  if (item.type === 'problem') return { t: 'problem', item: item.item, reason: item.reason };
  const { sub, file } = item.location as Extract<typeof item.location, { type: 'maildir' }>;
  const size = item.raw.length;
  if (!canMatch(item.raw)) return { t: 'out', size };
  let scan;
  try {
    scan = scanMessage(item.raw, id);
  } catch {
    scan = undefined;
  }
  if (!scan?.hits.length) return { t: 'scan', size, sub, file, scan };
  // A match is hashed here, on this core; its bytes go back only when the caller exports them
  // (moving every match's bytes between threads took a quarter of a worker's time in bench:dsar).
  const hash = sha256(item.raw);
  if (!keepBytes) return { t: 'scan', size, sub, file, scan, sha256: hash };
  const raw = new Uint8Array(item.raw);
  transfer.push(raw.buffer);
  return { t: 'scan', raw, size, sub, file, scan, sha256: hash };
}

parentPort?.on('message', (msg: Request) => {
  if ('files' in msg) {
    const transfer: ArrayBuffer[] = [];
    const results = msg.files.map((f) => scanFile(f, msg.keepBytes, transfer));
    parentPort?.postMessage({ seq: msg.seq, results }, transfer);
    return;
  }
  try {
    const raw = Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength);
    const scan = scanMessage(raw, id);
    // The bytes go back (moved, not copied) for the caller's match handling (export).
    parentPort?.postMessage({ seq: msg.seq, scan, raw: msg.raw }, [msg.raw.buffer as ArrayBuffer]);
  } catch {
    parentPort?.postMessage({ seq: msg.seq, error: true });
  }
});
