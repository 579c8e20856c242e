/**
 * A growable byte buffer the scanner appends to; one allocation per chunk in the common case. Never from
 * Node's shared pool, so a worker thread can hand its memory to the main thread without a copy.
 */
export class OutBuffer {
  buf: Buffer;
  len = 0;
  private dv: DataView;
  // The view of the chunk being scanned (sources that keep their own view pass it to copyFrom).
  private lastSrc: Buffer | undefined;
  private lastView: DataView | undefined;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(capacity, 256));
    this.dv = viewOf(this.buf);
  }

  /** Empties the buffer for reuse, with room for at least `capacity` bytes. */
  reset(capacity: number): this {
    this.len = 0;
    this.ensure(capacity);
    return this;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + extra));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
    this.dv = viewOf(next);
  }

  /**
   * Appends src[start, end). Spans between replacements are short (tens of bytes): four bytes at a
   * time through DataViews costs a third of a byte loop and beats Buffer.copy, whose call overhead
   * only pays off for long spans (measured on Node 20).
   */
  copy(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.ensure(n);
    if (n >= 256) {
      src.copy(this.buf, this.len, start, end);
      this.len += n;
      return;
    }
    if (src !== this.lastSrc) {
      this.lastSrc = src;
      this.lastView = viewOf(src);
    }
    this.copyFrom(this.lastView!, src, start, end);
  }

  /** Appends src[start, end), where sv is a DataView over all of src. */
  copyFrom(sv: DataView, src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    const dv = this.dv;
    const o = this.len - start;
    let i = start;
    for (; i + 4 <= end; i += 4) dv.setUint32(o + i, sv.getUint32(i, true), true);
    const b = this.buf;
    for (; i < end; i++) b[o + i] = src[i]!;
    this.len += n;
  }

  /** Appends an ASCII/latin1 string. */
  text(s: string): void {
    const n = s.length;
    this.ensure(n);
    if (n < 64) {
      const b = this.buf;
      let o = this.len;
      for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
      this.len = o;
    } else this.len += this.buf.write(s, this.len, 'latin1');
  }

  /** Appends the first n characters of an ASCII/latin1 string. */
  textPrefix(s: string, n: number): void {
    this.ensure(n);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
    this.len = o;
  }

  /** The bytes written so far (a view; copy before reusing this buffer). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
