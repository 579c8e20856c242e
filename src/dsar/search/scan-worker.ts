import { parentPort, workerData } from 'node:worker_threads';
import { compileIdentity, type DataSubject } from '../identity.js';
import { searchBatch, type Lane, type MaildirBatch } from './maildir-batch.js';
import { scanMessage } from './message.js';
import { compilePrefilter } from './prefilter.js';

// One worker of ScanPool: compiles the subject once, then scans the messages it is sent, or reads,
// pre-filters and scans the Maildir batches it is sent (so that both cores read, too).
const canMatch = compilePrefilter(workerData as DataSubject);
const lane: Lane = { id: compileIdentity(workerData as DataSubject), canMatch, scratch: canMatch.scratch };

type Request = { seq: number; raw: Uint8Array } | { seq: number; batch: MaildirBatch; keepBytes: boolean };

parentPort?.on('message', (msg: Request) => {
  if ('batch' in msg) {
    const transfer: ArrayBuffer[] = [];
    const batch = searchBatch(msg.batch, lane, msg.keepBytes, transfer);
    parentPort?.postMessage({ seq: msg.seq, batch }, transfer);
    return;
  }
  try {
    const raw = Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength);
    const scan = scanMessage(raw, lane.id, canMatch.needles);
    // The bytes go back (moved, not copied) for the caller's match handling (export).
    parentPort?.postMessage({ seq: msg.seq, scan, raw: msg.raw }, [msg.raw.buffer as ArrayBuffer]);
  } catch {
    parentPort?.postMessage({ seq: msg.seq, error: true });
  }
});

// Code loaded: work may come (a worker takes a tenth of a second to get here).
parentPort?.postMessage('ready');
