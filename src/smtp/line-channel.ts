/**
 * The socket side of every probe dialogue (SMTP on port 25, submission, IMAP, POP3): send a command
 * line, read bounded lines before a deadline, keep the transcript, move onto TLS. What the lines mean
 * is left to the protocol on top; each probe reports failures with its own error type and phases.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTP_MAX_BUFFERED_BYTES, SMTP_MAX_REPLY_LINE } from '../core/limits.js';
import { LineReader, ReadError, printable } from './line-reader.js';
import type { TranscriptLine } from './types.js';

/** Keeps a transcript with timestamps relative to the probe start. */
export class Transcript {
  readonly lines: TranscriptLine[] = [];
  constructor(private readonly t0: number) {}
  add(dir: TranscriptLine['dir'], line: string): void {
    this.lines.push({ dir, line, ms: Math.round(performance.now() - this.t0) });
  }
}

/** Characters of a garbled line shown in a reason: enough to recognise it, never a flood. */
const SHOWN_GARBAGE = 60;

/** The start of an unexpected line, escaped, for a reason. */
export function shown(raw: string): string {
  return printable(raw).slice(0, SHOWN_GARBAGE);
}

/** How one probe words its failures: SMTP speaks of replies and PhaseError, access of responses. */
export interface ChannelFailures<P extends string> {
  /** Builds the probe's own error for `phase`; the probe turns it into `result.error`. */
  error: (phase: P, reason: string) => Error;
  /** What the protocol calls one answer, as in "connection closed in the middle of a reply". */
  answer: 'reply' | 'response';
}

/** One line-based conversation over a socket (plain, then possibly TLS). */
export class LineChannel<P extends string> {
  private reader: LineReader;

  constructor(
    private socket: Socket | TLSSocket,
    readonly transcript: Transcript,
    private readonly signal: AbortSignal | undefined,
    private readonly failures: ChannelFailures<P>,
  ) {
    this.reader = newReader(socket);
  }

  /**
   * Sends one command line. Bytes waiting unread mean the peer spoke out of turn: every answer after
   * that would be misattributed, so the conversation stops instead.
   */
  send(phase: P, line: string): void {
    const pending = this.reader.pendingBytes();
    if (pending > 0) throw this.failures.error(phase, `peer sent ${pending} bytes nobody asked for`);
    this.transcript.add('C', line);
    this.socket.write(`${line}\r\n`);
  }

  /** Reads one line (raw latin1, no CRLF) before `deadline` (a performance.now() value). */
  async line(phase: P, deadline: number, midAnswer = false): Promise<string> {
    let raw: string;
    try {
      raw = await this.reader.readLine(Math.max(1, deadline - performance.now()), this.signal);
    } catch (err) {
      throw this.readFailure(phase, err, midAnswer);
    }
    this.transcript.add('S', printable(raw));
    return raw;
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

  private readFailure(phase: P, err: unknown, midAnswer: boolean): Error {
    const fail = this.failures.error;
    if (!(err instanceof ReadError)) return fail(phase, String(err));
    this.transcript.add('*', err.message);
    const where = midAnswer ? ` in the middle of a ${this.failures.answer}` : '';
    switch (err.reason) {
      case 'timeout':
        return fail(phase, `timeout${where}: ${err.message}`);
      case 'closed':
        return fail(phase, `connection closed${where}`);
      default:
        return fail(phase, err.message);
    }
  }
}

/** A deadline `ms` from now, for the line reads of one whole answer. */
export function deadlineIn(ms: number): number {
  return performance.now() + ms;
}

function newReader(socket: Socket | TLSSocket): LineReader {
  return new LineReader(socket, { maxLine: SMTP_MAX_REPLY_LINE, maxBuffered: SMTP_MAX_BUFFERED_BYTES });
}
