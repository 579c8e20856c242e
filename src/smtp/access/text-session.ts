/**
 * A line dialogue for IMAP and POP3 over one socket (plain, then possibly TLS), built on the SMTP
 * probe's bounded line reader and transcript. Every failure becomes an AccessError naming the phase.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTP_MAX_BUFFERED_BYTES, SMTP_MAX_REPLY_LINE } from '../../core/limits.js';
import { LineReader, ReadError, printable } from '../line-reader.js';
import type { Transcript } from '../session.js';
import type { AccessPhase } from './types.js';

/** Stops an access probe at a phase with a reason a finding can show. */
export class AccessError extends Error {
  constructor(
    readonly phase: AccessPhase,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'AccessError';
  }
}

/** Characters of a garbled line shown in a reason: enough to recognise it, never a flood. */
const SHOWN_GARBAGE = 60;

/** The start of an unexpected line, escaped, for a reason. */
export function shown(raw: string): string {
  return printable(raw).slice(0, SHOWN_GARBAGE);
}

/** One line-based conversation; the protocol modules decide what the lines mean. */
export class TextSession {
  private reader: LineReader;

  constructor(
    private socket: Socket | TLSSocket,
    readonly transcript: Transcript,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.reader = newReader(socket);
  }

  /**
   * Sends one command line. Bytes waiting unread mean the peer spoke out of turn: every answer after
   * that would be misattributed, so the session stops instead.
   */
  send(phase: AccessPhase, line: string): void {
    const pending = this.reader.pendingBytes();
    if (pending > 0) throw new AccessError(phase, `peer sent ${pending} bytes nobody asked for`);
    this.transcript.add('C', line);
    this.socket.write(`${line}\r\n`);
  }

  /** Reads one line (raw latin1, no CRLF) before `deadline` (a performance.now() value). */
  async line(phase: AccessPhase, deadline: number, midResponse = false): Promise<string> {
    let raw: string;
    try {
      raw = await this.reader.readLine(Math.max(1, deadline - performance.now()), this.signal);
    } catch (err) {
      throw this.readFailure(phase, err, midResponse);
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

  private readFailure(phase: AccessPhase, err: unknown, midResponse: boolean): AccessError {
    if (!(err instanceof ReadError)) return new AccessError(phase, String(err));
    this.transcript.add('*', err.message);
    const where = midResponse ? ' in the middle of a response' : '';
    switch (err.reason) {
      case 'timeout':
        return new AccessError(phase, `timeout${where}: ${err.message}`);
      case 'closed':
        return new AccessError(phase, `connection closed${where}`);
      default:
        return new AccessError(phase, err.message);
    }
  }
}

/** A deadline `ms` from now, for the line reads of one whole response. */
export function deadlineIn(ms: number): number {
  return performance.now() + ms;
}

function newReader(socket: Socket | TLSSocket): LineReader {
  return new LineReader(socket, { maxLine: SMTP_MAX_REPLY_LINE, maxBuffered: SMTP_MAX_BUFFERED_BYTES });
}
