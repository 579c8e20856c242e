/**
 * A growable byte buffer the scanner appends to; one allocation per chunk in the common case. Never from
 * Node's shared pool, so a worker thread can hand its memory to the main thread without a copy.
 */
export class OutBuffer {
  buf: Buffer;
  len = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(capacity, 256));
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + extra));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Appends src[start, end). */
  copy(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.ensure(n);
    if (n < 64) {
      // Below about 64 bytes a loop beats the native copy's call overhead (measured on Node 20).
      const b = this.buf;
      let o = this.len;
      for (let i = start; i < end; i++) b[o++] = src[i]!;
    } else src.copy(this.buf, this.len, start, end);
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

  /** The bytes written so far (a view; copy before reusing this buffer). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
