import { Transform, type TransformCallback } from 'node:stream';
import { LOG_MAX_LINE_BYTES } from '../../core/limits.js';
import { deriveKeys, type AnonymizerKeys } from './keys.js';
import { Mapper, type AnonymizeCounts } from './mapper.js';
import { OutBuffer } from './out-buffer.js';
import { DEFAULT_POLICY, type AnonymizePolicy } from './policy.js';
import { LineScanner } from './scanner.js';
import { randomBytes } from 'node:crypto';

/** How to anonymise: the policy and the keys (a random per-run key when none is given). */
export interface AnonymizerOptions {
  policy?: AnonymizePolicy;
  keys?: AnonymizerKeys;
}

/**
 * Chunk-in, chunk-out anonymiser: whole lines are rewritten, a trailing partial line waits for the next
 * chunk. Holds at most one partial line (capped at LOG_MAX_LINE_BYTES) between calls.
 */
export class Anonymizer {
  readonly mapper: Mapper;
  private readonly scanner: LineScanner;
  private carry: Buffer | undefined;

  constructor(opts: AnonymizerOptions = {}) {
    const policy = opts.policy ?? DEFAULT_POLICY;
    this.mapper = new Mapper(policy, opts.keys ?? deriveKeys(randomBytes(32)));
    this.scanner = new LineScanner(this.mapper);
  }

  get counts(): AnonymizeCounts {
    return this.mapper.counts;
  }

  /**
   * Anonymises what is complete in `chunk` (plus any carried partial line); returns the output bytes.
   * With `reuse`, the output is written into that buffer (emptied first) and the result is a view of
   * it, valid until its next use: a caller that writes each result out before the next call saves an
   * allocation per chunk, and the fresh pages it would touch.
   */
  push(chunk: Buffer, reuse?: OutBuffer): Buffer {
    const size = chunk.length + (chunk.length >> 3) + (this.carry?.length ?? 0);
    const out = reuse ? reuse.reset(size) : new OutBuffer(size);
    let from = 0;
    if (this.carry) {
      // Only the carried line is joined with the head of the chunk, not the whole chunk.
      const nl = chunk.indexOf(10);
      const head = Buffer.concat([this.carry, chunk.subarray(0, nl < 0 ? chunk.length : nl + 1)]);
      this.carry = undefined;
      if (nl < 0) return this.hold(head, out);
      this.scanner.process(head, 0, head.length, out);
      from = nl + 1;
    }
    const end = chunk.lastIndexOf(10) + 1;
    if (end <= from) return this.hold(chunk.subarray(from), out);
    this.scanner.process(chunk, from, end, out);
    if (end < chunk.length) this.carry = Buffer.from(chunk.subarray(end));
    return out.view();
  }

  /** Keeps a partial line for later; past the cap it is processed as it stands, so memory stays bounded. */
  private hold(partial: Buffer, out: OutBuffer): Buffer {
    if (partial.length >= LOG_MAX_LINE_BYTES) this.scanner.process(partial, 0, partial.length, out);
    else if (partial.length) this.carry = Buffer.from(partial);
    return out.view();
  }

  /** Anonymises the last partial line, if any. */
  end(): Buffer {
    const rest = this.carry;
    this.carry = undefined;
    return rest ? this.run(rest, rest.length) : Buffer.alloc(0);
  }

  /** Sets the Exchange CSV columns from a `#Fields:` line seen elsewhere (threaded runs). */
  setCsvFields(header: string): void {
    this.scanner.setCsvFields(header);
  }

  /** One-shot helper for whole texts (tests, small inputs). */
  text(input: string): string {
    return Buffer.concat([this.push(Buffer.from(input, 'latin1')), this.end()]).toString('latin1');
  }

  private run(buf: Buffer, end: number): Buffer {
    const out = new OutBuffer(end + (end >> 3));
    this.scanner.process(buf, 0, end, out);
    return out.view();
  }
}

/** A Transform stream around an Anonymizer, for pipelines (files, stdin/stdout, gzip). */
export function anonymizeTransform(anonymizer: Anonymizer): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const out = anonymizer.push(chunk);
      cb(null, out.length ? out : undefined);
    },
    flush(cb: TransformCallback) {
      const out = anonymizer.end();
      cb(null, out.length ? out : undefined);
    },
  });
}
