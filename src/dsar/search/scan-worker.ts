import { parentPort, workerData } from 'node:worker_threads';
import { compileIdentity, type DataSubject } from '../identity.js';
import { scanMessage } from './message.js';

// One worker of ScanPool: compiles the subject once, then scans the messages it is sent.
const id = compileIdentity(workerData as DataSubject);
parentPort?.on('message', (msg: { seq: number; raw: Uint8Array }) => {
  try {
    const raw = Buffer.from(msg.raw.buffer, msg.raw.byteOffset, msg.raw.byteLength);
    const scan = scanMessage(raw, id);
    // The bytes go back (moved, not copied) for the caller's match handling (export).
    parentPort?.postMessage({ seq: msg.seq, scan, raw: msg.raw }, [msg.raw.buffer as ArrayBuffer]);
  } catch {
    parentPort?.postMessage({ seq: msg.seq, error: true });
  }
});
