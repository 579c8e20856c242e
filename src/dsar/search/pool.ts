import { Worker } from 'node:worker_threads';
import type { DataSubject } from '../identity.js';
import type { BatchResult, MaildirBatch } from './maildir-batch.js';
import type { MessageScan } from './message.js';

type Reply = { seq: number; scan?: MessageScan; raw?: Uint8Array; error?: boolean; batch?: BatchResult };

/** A scan result and the message bytes, handed back by the worker. */
export interface PoolScan {
  scan: MessageScan | undefined;
  raw: Buffer;
}

interface Slot {
  worker: Worker;
  /** Whether the worker has loaded its code: until then it gets nothing (a small search ends first). */
  ready: boolean;
  /** Requests sent and not answered yet. */
  queued: number;
}

/**
 * Requests a worker may hold: one it works on and one waiting, so it never waits for the calling
 * thread, which meanwhile searches too (it is a lane of its own).
 */
const QUEUE_PER_WORKER = 3;

/**
 * Worker threads that search beside the calling thread. Messages of streams (mbox, IMAP) are read
 * by the caller and sent over; Maildir batches are read by the worker itself (reading costs as
 * much as searching). A request is only taken when a worker has room; otherwise the `try`
 * methods return undefined and the caller searches that item itself, so all threads stay busy.
 * Replies are matched to requests by sequence number.
 */
export class ScanPool {
  private slots: Slot[] | undefined;
  private readonly waiting = new Map<
    number,
    { slot: Slot; resolve: (r: Reply) => void; reject: (e: Error) => void }
  >();
  private seq = 0;
  private failed = false;
  private closing = false;

  /** Workers start on the first request, so a search that never sends one never starts any. */
  constructor(
    private readonly workers: number,
    private readonly subject: DataSubject,
  ) {}

  private start(): Slot[] {
    const slots: Slot[] = [];
    const subject = this.subject;
    // Under a TypeScript loader (tests, tsx) the worker is the .ts source and needs the loader too.
    const ts = import.meta.url.endsWith('.ts');
    const file = new URL(ts ? './scan-worker.ts' : './scan-worker.js', import.meta.url);
    for (let i = 0; i < this.workers; i++) {
      // A loader given in execArgv does not apply to the worker's own entry file: register it first.
      const worker = ts
        ? new Worker(
            `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(file.href)}); })`,
            { eval: true, workerData: subject },
          )
        : new Worker(file, { workerData: subject });
      const slot: Slot = { worker, ready: false, queued: 0 };
      worker.on('message', (r: Reply | 'ready') => {
        if (r === 'ready') {
          slot.ready = true;
          return;
        }
        const p = this.waiting.get(r.seq);
        if (!p) return;
        this.waiting.delete(r.seq);
        p.slot.queued--;
        p.resolve(r);
      });
      // A worker that fails or stops: whatever was sent is lost (reported per item by the caller),
      // nothing more is sent, and this thread searches the rest.
      const lost = (e: Error): void => {
        this.failed = true;
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
      };
      worker.on('error', lost);
      worker.on('exit', () => {
        if (!this.closing) lost(new Error('scan worker stopped'));
      });
      slots.push(slot);
    }
    return slots;
  }

  /**
   * Scans one message on a worker with room; `scan` is undefined when it could not be parsed. A
   * buffer that owns its memory is moved to the worker and back (no copy): use the returned `raw`,
   * not the argument.
   */
  tryScan(raw: Buffer): Promise<PoolScan> | undefined {
    const slot = this.roomy();
    if (!slot) return undefined;
    const own =
      raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const bytes = own ? new Uint8Array(raw.buffer, 0, raw.byteLength) : new Uint8Array(raw);
    return this.send(slot, (seq) => ({ seq, raw: bytes }), [bytes.buffer as ArrayBuffer]).then((r) => ({
      scan: r.error ? undefined : r.scan,
      raw: r.raw ? Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength) : Buffer.alloc(0),
    }));
  }

  /**
   * Reads, pre-filters and scans a Maildir batch on a worker with room. `keepBytes`: send the
   * bytes of matches back.
   */
  trySearchBatch(batch: MaildirBatch, keepBytes: boolean): Promise<BatchResult> | undefined {
    const slot = this.roomy();
    if (!slot) return undefined;
    return this.send(slot, (seq) => ({ seq, batch, keepBytes }), []).then((r) => {
      if (!r.batch) throw new Error('scan worker gave no result');
      return r.batch;
    });
  }

  /** Starts the workers and resolves once all have loaded their code (or one has failed). */
  whenReady(): Promise<void> {
    const slots = (this.slots ??= this.start());
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.failed || slots.every((s) => s.ready)) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  /** The least busy ready worker if it has room, or undefined (also once a worker has failed). */
  private roomy(): Slot | undefined {
    if (this.failed) return undefined;
    this.slots ??= this.start();
    let best: Slot | undefined;
    for (const s of this.slots) if (s.ready && (!best || s.queued < best.queued)) best = s;
    return best && best.queued < QUEUE_PER_WORKER ? best : undefined;
  }

  private send(slot: Slot, msg: (seq: number) => unknown, transfer: ArrayBuffer[]): Promise<Reply> {
    const seq = ++this.seq;
    slot.queued++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { slot, resolve, reject });
      slot.worker.postMessage(msg(seq), transfer);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all((this.slots ?? []).map((s) => s.worker.terminate()));
  }
}
