/**
 * Reads CRLF-terminated SMTP lines from a socket with hard limits, so a hostile peer can make a probe
 * fail but never make it buffer megabytes or wait forever.
 */
import type { Duplex } from 'node:stream';

/** Why a read ended without a line. */
export type ReadFailure = 'timeout' | 'closed' | 'too-long' | 'flood' | 'aborted' | 'socket-error';

/** A read that ended without a line; `reason` is the machine-readable part. */
export class ReadError extends Error {
  readonly reason: ReadFailure;
  constructor(reason: ReadFailure, message: string) {
    super(message);
    this.reason = reason;
    this.name = 'ReadError';
  }
}

export interface LineReaderLimits {
  /** Longest line accepted, CRLF excluded. */
  maxLine: number;
  /** Bytes of complete-but-unread lines plus the partial line held at once. */
  maxBuffered: number;
}

interface Waiter {
  resolve: (line: string) => void;
  reject: (err: ReadError) => void;
}

/** Line-oriented reader over a socket; attach once, detach before handing the socket to TLS. */
export class LineReader {
  private readonly lines: string[] = [];
  private linesBytes = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private failure: ReadError | undefined;
  private waiter: Waiter | undefined;
  private attached = true;

  constructor(
    private readonly socket: Duplex,
    private readonly limits: LineReaderLimits,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Next line without its CRLF; rejects with ReadError on timeout, close, abort or a limit. */
  readLine(timeoutMs: number, signal?: AbortSignal): Promise<string> {
    const ready = this.lines.shift();
    if (ready !== undefined) {
      this.linesBytes -= ready.length + 2;
      return Promise.resolve(ready);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new ReadError('aborted', 'probe aborted'));
    if (this.waiter) return Promise.reject(new ReadError('socket-error', 'concurrent read'));
    return new Promise<string>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
      };
      const onAbort = () => {
        done();
        reject(new ReadError('aborted', 'probe aborted'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new ReadError('timeout', `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        resolve: (line) => {
          done();
          resolve(line);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
    });
  }

  /** Bytes received and not yet read: complete lines plus a partial one. */
  pendingBytes(): number {
    return this.linesBytes + this.partialBytes;
  }

  /**
   * Stops listening and returns bytes received but not yet read as lines. Called before the socket
   * is wrapped by TLS: anything the server sent after its `220` to STARTTLS must not be trusted.
   */
  detach(): Buffer {
    if (this.attached) {
      this.socket.off('data', this.onData);
      this.socket.off('end', this.onEnd);
      this.socket.off('close', this.onEnd);
      this.socket.off('error', this.onError);
      this.attached = false;
    }
    const rest = Buffer.concat([
      ...this.lines.map((l) => Buffer.from(`${l}\r\n`, 'latin1')),
      ...this.partial,
    ]);
    this.lines.length = 0;
    this.linesBytes = 0;
    this.partial = [];
    this.partialBytes = 0;
    return rest;
  }

  private fail(err: ReadError): void {
    if (this.failure) return;
    this.failure = err;
    this.partial = [];
    this.partialBytes = 0;
    this.waiter?.reject(err);
  }

  private push(line: string): void {
    if (this.waiter) return this.waiter.resolve(line);
    this.lines.push(line);
    this.linesBytes += line.length + 2;
    if (this.linesBytes > this.limits.maxBuffered) {
      this.fail(new ReadError('flood', `peer sent more than ${this.limits.maxBuffered} bytes unasked`));
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.failure) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (this.partialBytes + piece.length > this.limits.maxLine + 1) return this.tooLong();
      const whole = this.partial.length ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.partialBytes = 0;
      const end = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length;
      // latin1 keeps every byte as one char, so lengths stay byte counts; decoding happens later.
      this.push(whole.toString('latin1', 0, end));
      if (this.failure) return;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.partialBytes += rest.length;
      if (this.partialBytes > this.limits.maxLine + 1) return this.tooLong();
      this.partial.push(rest);
    }
  };

  private tooLong(): void {
    this.fail(new ReadError('too-long', `reply line longer than ${this.limits.maxLine} bytes`));
  }

  private readonly onEnd = (): void => {
    this.fail(new ReadError('closed', 'connection closed by peer'));
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.fail(new ReadError('socket-error', `socket error: ${err.code ?? 'unknown'}`));
  };
}

// Escape sequences in a banner must not reach a terminal or a report as control codes.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/** Renders raw latin1 line bytes as UTF-8 text with control characters escaped, safe for any report. */
export function printable(raw: string): string {
  const text = Buffer.from(raw, 'latin1').toString('utf8');
  return text.replace(CONTROL_CHARS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
