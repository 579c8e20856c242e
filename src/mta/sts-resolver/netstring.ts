/**
 * Netstrings (https://cr.yp.to/proto/netstrings.txt) as Postfix's socketmap_table(5) frames them:
 * `<decimal length>:<bytes>,`. The decoder is incremental and bounded: a peer can make it hold at
 * most one maximal frame, and anything that is not a netstring ends the stream with a NetstringError.
 */
import { MailcomplyError } from '../../core/errors.js';

/** The stream is not a netstring sequence (or a frame is over the limit); it cannot be resynchronised. */
export class NetstringError extends MailcomplyError {
  constructor(message: string) {
    super('E_INPUT', message);
  }
}

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;

/** Frames one payload: `encodeNetstring('OK secure')` is `9:OK secure,`. */
export function encodeNetstring(payload: string | Buffer): Buffer {
  // One allocation for the common case: replies are short strings, written once per lookup.
  if (typeof payload === 'string') return Buffer.from(`${Buffer.byteLength(payload)}:${payload},`, 'utf8');
  return Buffer.concat([Buffer.from(`${payload.length}:`, 'latin1'), payload, Buffer.from(',')]);
}

/**
 * Splits a byte stream into netstring payloads. `push` returns the payloads completed by a chunk,
 * including those before a malformed or oversized frame; `error` then says why the stream broke,
 * and later pushes return nothing.
 * @example new NetstringDecoder(1024).push(Buffer.from('3:abc,1:')) // [<Buffer 61 62 63>]
 */
export class NetstringDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed: string | undefined;
  private readonly maxDigits: number;

  constructor(private readonly maxLength: number) {
    this.maxDigits = String(maxLength).length;
  }

  /** Why the stream cannot be decoded any further; undefined while it is fine. */
  get error(): string | undefined {
    return this.failed;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.failed !== undefined) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let pos = 0;
    for (;;) {
      let frame: { start: number; end: number } | undefined;
      try {
        frame = this.frameAt(pos);
      } catch (err) {
        if (err instanceof NetstringError) return out;
        throw err;
      }
      if (frame === undefined) break;
      out.push(this.buf.subarray(frame.start, frame.end));
      pos = frame.end + 1;
    }
    // Copied so that a retained partial frame does not pin a large chunk in memory.
    this.buf = pos === 0 ? this.buf : Buffer.from(this.buf.subarray(pos));
    return out;
  }

  /** The frame starting at `pos`, undefined when incomplete; throws when it cannot be a netstring. */
  private frameAt(pos: number): { start: number; end: number } | undefined {
    const buf = this.buf;
    let length = 0;
    let i = pos;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === COLON) break;
      if (c < ZERO || c > NINE) return this.fail('a netstring length must be decimal digits');
      if (i > pos && buf[pos] === ZERO) return this.fail('a netstring length has a leading zero');
      if (i - pos >= this.maxDigits) return this.fail(`a netstring is longer than ${this.maxLength} bytes`);
      length = length * 10 + (c - ZERO);
    }
    if (i >= buf.length) return undefined;
    if (i === pos) return this.fail('a netstring has no length');
    if (length > this.maxLength) return this.fail(`a netstring is longer than ${this.maxLength} bytes`);
    const start = i + 1;
    const end = start + length;
    if (buf.length <= end) return undefined;
    if (buf[end] !== COMMA) return this.fail('a netstring does not end in a comma');
    return { start, end };
  }

  private fail(reason: string): never {
    this.failed = reason;
    this.buf = Buffer.alloc(0);
    throw new NetstringError(reason);
  }
}
