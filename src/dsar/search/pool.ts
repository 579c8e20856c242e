import { Worker } from 'node:worker_threads';
import type { DataSubject } from '../identity.js';
import type { MessageScan } from './message.js';

type Reply = { seq: number; scan?: MessageScan; raw?: Uint8Array; error?: boolean };

/** A scan result and the message bytes, handed back by the worker. */
export interface PoolScan {
  scan: MessageScan | undefined;
  raw: Buffer;
}

/**
 * Scans messages on worker threads: parsing and decoding is the CPU-bound part of a search, and
 * reading files stays on the main thread. Replies are matched to requests by sequence number.
 */
export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (s: PoolScan) => void; reject: (e: Error) => void }
  >();
  private seq = 0;
  private failed = false;

  constructor(threads: number, subject: DataSubject) {
    // Under a TypeScript loader (tests, tsx) the worker is the .ts source and needs the loader too.
    const ts = import.meta.url.endsWith('.ts');
    const file = new URL(ts ? './scan-worker.ts' : './scan-worker.js', import.meta.url);
    for (let i = 0; i < threads; i++) {
      // A loader given in execArgv does not apply to the worker's own entry file: register it first.
      const w = ts
        ? new Worker(
            `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(file.href)}); })`,
            { eval: true, workerData: subject },
          )
        : new Worker(file, { workerData: subject });
      w.on('message', (r: Reply) => {
        const p = this.waiting.get(r.seq);
        if (!p) return;
        this.waiting.delete(r.seq);
        const raw = r.raw ? Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength) : Buffer.alloc(0);
        p.resolve({ scan: r.error ? undefined : r.scan, raw });
      });
      w.on('error', (e) => {
        this.failed = true;
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
      });
      this.workers.push(w);
    }
  }

  /**
   * Scans one message; `scan` is undefined when it could not be parsed. A buffer that owns its
   * memory is moved to the worker and back (no copy): use the returned `raw`, not the argument.
   */
  scan(raw: Buffer): Promise<PoolScan> {
    if (this.failed) return Promise.reject(new Error('scan worker failed'));
    const seq = ++this.seq;
    const w = this.workers[seq % this.workers.length] as Worker;
    const own =
      raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const bytes = own ? new Uint8Array(raw.buffer, 0, raw.byteLength) : new Uint8Array(raw);
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      w.postMessage({ seq, raw: bytes }, [bytes.buffer as ArrayBuffer]);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
