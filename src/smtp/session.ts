/**
 * One SMTP conversation over a socket: send a command, read a (multi-line) reply, keep the transcript.
 * Every failure becomes a PhaseError naming the phase, which the probe turns into `result.error`.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTP_MAX_BUFFERED_BYTES, SMTP_MAX_REPLY_LINE, SMTP_MAX_REPLY_LINES } from '../core/limits.js';
import { LineReader, ReadError, printable } from './line-reader.js';
import type { ProbePhase, TranscriptLine } from './types.js';

/** A parsed SMTP reply (RFC 5321 §4.2): one code, one or more texts. */
export interface SmtpReply {
  code: number;
  /** Texts without the code and separator, decoded and escaped. */
  lines: string[];
}

/** Stops a probe at a phase with a reason a finding can show. */
export class PhaseError extends Error {
  constructor(
    readonly phase: ProbePhase,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'PhaseError';
  }
}

const REPLY_LINE = /^([2-5][0-9]{2})(?:([ -])(.*))?$/s;
const SHOWN_GARBAGE = 60;

/** Keeps a transcript with timestamps relative to the probe start. */
export class Transcript {
  readonly lines: TranscriptLine[] = [];
  constructor(private readonly t0: number) {}
  add(dir: TranscriptLine['dir'], line: string): void {
    this.lines.push({ dir, line, ms: Math.round(performance.now() - this.t0) });
  }
}

/** The SMTP dialogue on one socket (plain, then possibly TLS). */
export class SmtpSession {
  private reader: LineReader;

  constructor(
    private socket: Socket | TLSSocket,
    readonly transcript: Transcript,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.reader = newReader(socket);
  }

  /**
   * Sends one command line. Lines waiting unread mean the peer spoke out of turn: every reply after
   * that would be misattributed, so the session stops instead.
   */
  send(phase: ProbePhase, line: string): void {
    const pending = this.reader.pendingBytes();
    if (pending > 0) throw new PhaseError(phase, `peer sent ${pending} bytes nobody asked for`);
    this.transcript.add('C', line);
    this.socket.write(`${line}\r\n`);
  }

  /** Reads one complete reply within `timeoutMs` for the whole reply, however slowly it drips in. */
  async reply(phase: ProbePhase, timeoutMs: number): Promise<SmtpReply> {
    const deadline = performance.now() + timeoutMs;
    const lines: string[] = [];
    let code = 0;
    for (;;) {
      let raw: string;
      try {
        raw = await this.reader.readLine(Math.max(1, deadline - performance.now()), this.signal);
      } catch (err) {
        throw this.readFailure(phase, err, lines.length > 0);
      }
      const text = printable(raw);
      this.transcript.add('S', text);
      const m = REPLY_LINE.exec(raw);
      if (!m) {
        throw new PhaseError(phase, `not an SMTP reply: "${text.slice(0, SHOWN_GARBAGE)}"`);
      }
      code = Number(m[1]);
      lines.push(m[3] === undefined ? '' : printable(m[3]));
      if (m[2] !== '-') return { code, lines };
      if (lines.length >= SMTP_MAX_REPLY_LINES) {
        throw new PhaseError(phase, `reply longer than ${SMTP_MAX_REPLY_LINES} lines`);
      }
    }
  }

  /** Sends a command and reads its reply. */
  async command(phase: ProbePhase, line: string, timeoutMs: number): Promise<SmtpReply> {
    this.send(phase, line);
    return this.reply(phase, timeoutMs);
  }

  /** Stops reading the plain socket so TLS can take it over; returns bytes the peer sent too early. */
  detach(): Buffer {
    return this.reader.detach();
  }

  /** Continues the dialogue on the TLS socket that wraps the old one. */
  upgrade(socket: TLSSocket): void {
    this.reader.detach();
    this.socket = socket;
    this.reader = newReader(socket);
  }

  private readFailure(phase: ProbePhase, err: unknown, midReply: boolean): PhaseError {
    if (!(err instanceof ReadError)) return new PhaseError(phase, String(err));
    this.transcript.add('*', err.message);
    const where = midReply ? ' in the middle of a reply' : '';
    switch (err.reason) {
      case 'timeout':
        return new PhaseError(phase, `timeout${where}: ${err.message}`);
      case 'closed':
        return new PhaseError(phase, `connection closed${where}`);
      default:
        return new PhaseError(phase, err.message);
    }
  }
}

function newReader(socket: Socket | TLSSocket): LineReader {
  return new LineReader(socket, { maxLine: SMTP_MAX_REPLY_LINE, maxBuffered: SMTP_MAX_BUFFERED_BYTES });
}
