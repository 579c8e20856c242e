import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Transform, type TransformCallback } from 'node:stream';
import { LOG_CHUNK_BYTES, LOG_MAX_LINE_BYTES } from '../../core/limits.js';
import { gzipSync } from 'node:zlib';
import { Anonymizer } from './anonymizer.js';
import { emptyCounts, type AnonymizeCounts } from './mapper.js';
import type { AnonymizerKeys } from './keys.js';
import type { AnonymizePolicy } from './policy.js';

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

/**
 * Starts one worker. Under a TypeScript runner (tests) the worker source is .ts, so it is loaded through
 * tsx's register API from a small ESM bootstrap; the built package loads the .js file directly.
 */
function startWorker(workerData: unknown): Worker {
  // A worker's heap holds a block, its output and bounded caches; a small young generation keeps each
  // thread's memory near that instead of V8's defaults, which are sized for a whole process.
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_MB };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./thread-worker.js', import.meta.url), { workerData, resourceLimits });
  const target = new URL('./thread-worker.ts', import.meta.url).href;
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
    workerData,
    resourceLimits,
  });
}

const WORKER_YOUNG_MB = 8;
const QUEUED_PER_WORKER = 2;

/**
 * A Transform that spreads whole-line blocks over N lanes (this thread and N-1 workers) and emits their
 * results in input order. At most 2 blocks per worker are queued, so memory stays bounded. With
 * `gzipLevel`, every block comes back as a gzip member of its own (the caller must not compress again).
 */
export function threadedAnonymizeTransform(
  threads: number,
  policy: AnonymizePolicy,
  keys: AnonymizerKeys,
  gzipLevel?: number,
): { stream: Transform; counts: () => AnonymizeCounts } {
  // The calling thread is one of the N lanes: it would otherwise mostly wait, and one isolate fewer
  // is one heap and one JIT warm-up fewer.
  const local = new Anonymizer({ policy, keys });
  const workers = Array.from({ length: threads - 1 }, () =>
    startWorker({ policy, keys: { ...keys }, ...(gzipLevel === undefined ? {} : { gzipLevel }) }),
  );
  // Blocks sent to each worker and not yet back.
  const queued = workers.map(() => 0);
  const waiting = new Map<number, Pending>();
  let failed: Error | undefined;
  workers.forEach((w, index) => {
    w.on('message', (m: { seq?: number; block?: Uint8Array }) => {
      if (m.seq === undefined || !m.block) return;
      queued[index]!--;
      const p = waiting.get(m.seq);
      waiting.delete(m.seq);
      p?.resolve(Buffer.from(m.block.buffer, m.block.byteOffset, m.block.byteLength));
    });
    w.on('error', (e) => {
      failed = e;
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    });
  });
  const total = emptyCounts();
  let seq = 0;
  let carry: Buffer | undefined;
  const inflight: Promise<Buffer>[] = [];

  const send = (block: Buffer): void => {
    // Exchange CSV: every worker must know the columns a `#Fields:` line named, not just the one that gets it.
    for (let at = block.indexOf('#Fields: '); at >= 0; at = block.indexOf('#Fields: ', at + 1)) {
      if (at > 0 && block[at - 1] !== 10) continue;
      const end = block.indexOf(10, at);
      const fields = block.toString('latin1', at, end < 0 ? block.length : end);
      for (const w of workers) w.postMessage({ fields });
      local.setCsvFields(fields);
    }
    const s = seq++;
    // Workers are kept busy (a block being worked on and one waiting); this thread takes the rest. It
    // also reads and writes, so a fixed share would leave either side waiting for the other.
    let lane = -1;
    for (let k = 0; k < workers.length; k++)
      if (queued[k]! < QUEUED_PER_WORKER && (lane < 0 || queued[k]! < queued[lane]!)) lane = k;
    if (lane < 0) {
      inflight.push(Promise.resolve(runLocal(block)));
      return;
    }
    queued[lane]!++;
    const w = workers[lane]!;
    const copy = new Uint8Array(block.length);
    copy.set(block);
    inflight.push(
      new Promise<Buffer>((resolve, reject) => {
        if (failed) reject(failed);
        else waiting.set(s, { resolve, reject });
      }),
    );
    w.postMessage({ seq: s, block: copy }, [copy.buffer]);
  };

  const runLocal = (block: Buffer): Buffer => {
    // A block ends at a newline, so normally nothing is left over for end().
    let out = local.push(block);
    const rest = local.end();
    if (rest.length) out = Buffer.concat([out, rest]);
    return gzipLevel === undefined ? out : gzipSync(out, { level: gzipLevel });
  };

  const drain = async (stream: Transform, keep: number): Promise<void> => {
    while (inflight.length > keep) {
      const out = await inflight.shift()!;
      if (failed) throw failed;
      if (out.length) stream.push(out);
    }
  };

  const finish = async (): Promise<void> => {
    for (const k of Object.keys(total) as (keyof AnonymizeCounts)[]) total[k] += local.counts[k];
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('message', (m: { counts?: AnonymizeCounts }) => {
              if (m.counts)
                for (const k of Object.keys(total) as (keyof AnonymizeCounts)[]) total[k] += m.counts[k];
              resolve();
            });
            w.postMessage({ done: true });
          }),
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));
  };

  const stream = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      let from = 0;
      // Cut into blocks of about LOG_CHUNK_BYTES at newlines; the tail waits for more input.
      while (buf.length - from >= LOG_CHUNK_BYTES) {
        const nl = buf.indexOf(10, from + LOG_CHUNK_BYTES - 1);
        if (nl < 0) break;
        send(buf.subarray(from, nl + 1));
        from = nl + 1;
      }
      // A newline-free run past the cap is sent as it stands, so memory stays bounded.
      if (buf.length - from >= LOG_MAX_LINE_BYTES) {
        send(buf.subarray(from));
        from = buf.length;
      }
      if (from < buf.length) carry = Buffer.from(buf.subarray(from));
      drain(this, threads * 2).then(() => cb(), cb);
    },
    flush(cb: TransformCallback) {
      if (carry?.length) send(carry);
      carry = undefined;
      drain(this, 0)
        .then(finish)
        .then(() => cb(), cb);
    },
    destroy(err, cb) {
      Promise.all(workers.map((w) => w.terminate())).then(
        () => cb(err),
        () => cb(err),
      );
    },
  });
  return { stream, counts: () => total };
}
