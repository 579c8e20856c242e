import { Worker } from 'node:worker_threads';
import type { DataSubject } from '../identity.js';
import type { MaildirEntry } from '../sources/maildir.js';
import type { MessageScan } from './message.js';

/** What a worker made of one Maildir file it was sent. */
export type FileResult =
  | { t: 'none' } // not a regular file
  | { t: 'problem'; item: string; reason: string }
  | { t: 'out'; size: number } // read, and ruled out by the pre-filter
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

type Reply = { seq: number; scan?: MessageScan; raw?: Uint8Array; error?: boolean; results?: FileResult[] };

/** A scan result and the message bytes, handed back by the worker. */
export interface PoolScan {
  scan: MessageScan | undefined;
  raw: Buffer;
}

/**
 * Scans messages on worker threads. Messages of streams (mbox, IMAP) are read on the main thread
 * and sent over; Maildir files are read by the workers themselves (see scanFiles). Replies are
 * matched to requests by sequence number.
 */
export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
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
        p.resolve(r);
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
    const own =
      raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const bytes = own ? new Uint8Array(raw.buffer, 0, raw.byteLength) : new Uint8Array(raw);
    return this.send(seq, { seq, raw: bytes }, [bytes.buffer as ArrayBuffer]).then((r) => ({
      scan: r.error ? undefined : r.scan,
      raw: r.raw ? Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength) : Buffer.alloc(0),
    }));
  }

  /**
   * Reads, pre-filters and scans Maildir files on a worker: reading is as costly as searching
   * (open, read and close of 100,000 small files), so it is shared out too. One request per batch
   * keeps the messaging cost per file low. `keepBytes`: send the bytes of matches back.
   */
  scanFiles(files: MaildirEntry[], keepBytes: boolean): Promise<FileResult[]> {
    if (this.failed) return Promise.reject(new Error('scan worker failed'));
    const seq = ++this.seq;
    return this.send(seq, { seq, files, keepBytes }, []).then((r) => r.results ?? []);
  }

  private send(seq: number, msg: unknown, transfer: ArrayBuffer[]): Promise<Reply> {
    const w = this.workers[seq % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      w.postMessage(msg, transfer);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
