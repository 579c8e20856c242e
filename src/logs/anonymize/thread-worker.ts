import { gzipSync } from 'node:zlib';
import { parentPort, workerData } from 'node:worker_threads';
import { Anonymizer } from './anonymizer.js';
import type { AnonymizerKeys } from './keys.js';
import type { AnonymizePolicy } from './policy.js';

/**
 * One worker: anonymises whole-line blocks it is sent and returns them with their sequence number,
 * each compressed as a gzip member of its own when the output is gzip (members concatenate into one
 * valid gzip file, so compression, the slowest step, runs on every thread too).
 */
const data = workerData as {
  policy: AnonymizePolicy;
  keys: { cryptoPan: Uint8Array; pseudonym: Uint8Array };
  gzipLevel?: number;
};
const keys: AnonymizerKeys = {
  cryptoPan: Buffer.from(data.keys.cryptoPan),
  pseudonym: Buffer.from(data.keys.pseudonym),
};
const anonymizer = new Anonymizer({ policy: data.policy, keys });

parentPort!.on('message', (msg: { seq: number; block: Uint8Array } | { done: true } | { fields: string }) => {
  if ('fields' in msg) {
    anonymizer.setCsvFields(msg.fields);
    return;
  }
  if ('done' in msg) {
    parentPort!.postMessage({ counts: anonymizer.counts });
    return;
  }
  const input = Buffer.from(msg.block.buffer, msg.block.byteOffset, msg.block.byteLength);
  // Blocks end at a newline, so nothing is carried between them.
  let out = anonymizer.push(input);
  // OutBuffer memory is never from Node's shared pool, so it can be handed over without a copy;
  // anything else (a joined tail, zlib's result) might share its memory and is copied.
  let owned = true;
  const rest = anonymizer.end();
  if (rest.length) {
    out = Buffer.concat([out, rest]);
    owned = false;
  }
  if (data.gzipLevel !== undefined) {
    out = gzipSync(out, { level: data.gzipLevel });
    owned = false;
  }
  let block: Uint8Array;
  if (owned) block = new Uint8Array(out.buffer, out.byteOffset, out.length);
  else {
    block = new Uint8Array(out.length);
    block.set(out);
  }
  parentPort!.postMessage({ seq: msg.seq, block }, [block.buffer as ArrayBuffer]);
});
