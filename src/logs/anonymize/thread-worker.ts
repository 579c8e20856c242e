import { parentPort, workerData } from 'node:worker_threads';
import { Anonymizer } from './anonymizer.js';
import type { AnonymizerKeys } from './keys.js';
import type { AnonymizePolicy } from './policy.js';

/** One worker: anonymises whole-line blocks it is sent and returns them with their sequence number. */
const data = workerData as {
  policy: AnonymizePolicy;
  keys: { cryptoPan: Uint8Array; pseudonym: Uint8Array };
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
  const out = Buffer.concat([anonymizer.push(input), anonymizer.end()]);
  const copy = new Uint8Array(out.length);
  copy.set(out);
  parentPort!.postMessage({ seq: msg.seq, block: copy }, [copy.buffer]);
});
