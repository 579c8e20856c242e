/**
 * The line dialogue for IMAP and POP3 over one socket (plain, then possibly TLS): the SMTP probe's
 * line channel, with failures as AccessError naming the access probe's phase.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { LineChannel, type Transcript } from '../line-channel.js';
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

/** One line-based conversation; the protocol modules decide what the lines mean. */
export class TextSession extends LineChannel<AccessPhase> {
  constructor(socket: Socket | TLSSocket, transcript: Transcript, signal: AbortSignal | undefined) {
    super(socket, transcript, signal, {
      error: (phase, reason) => new AccessError(phase, reason),
      answer: 'response',
    });
  }
}
