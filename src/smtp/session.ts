/**
 * One SMTP conversation over a socket: send a command, read a (multi-line) reply, keep the transcript.
 * Every failure becomes a PhaseError naming the phase, which the probe turns into `result.error`.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTP_MAX_REPLY_LINES } from '../core/limits.js';
import { LineChannel, deadlineIn, shown, type Transcript } from './line-channel.js';
import { printable } from './line-reader.js';
import type { ProbePhase } from './types.js';

export { Transcript } from './line-channel.js';

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

/** The SMTP dialogue on one socket (plain, then possibly TLS). */
export class SmtpSession extends LineChannel<ProbePhase> {
  constructor(socket: Socket | TLSSocket, transcript: Transcript, signal: AbortSignal | undefined) {
    super(socket, transcript, signal, {
      error: (phase, reason) => new PhaseError(phase, reason),
      answer: 'reply',
    });
  }

  /** Reads one complete reply within `timeoutMs` for the whole reply, however slowly it drips in. */
  async reply(phase: ProbePhase, timeoutMs: number): Promise<SmtpReply> {
    const deadline = deadlineIn(timeoutMs);
    const lines: string[] = [];
    let code = 0;
    for (;;) {
      const raw = await this.line(phase, deadline, lines.length > 0);
      const m = REPLY_LINE.exec(raw);
      if (!m) throw new PhaseError(phase, `not an SMTP reply: "${shown(raw)}"`);
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
}
