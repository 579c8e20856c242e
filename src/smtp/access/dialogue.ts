/**
 * What the access probe needs from each protocol: greet, list capabilities, ask for STARTTLS, leave.
 * SMTP reuses the MX probe's session; IMAP and POP3 have their own small dialogues.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Transcript } from '../line-channel.js';
import type { ProbeTimeouts } from '../steps.js';
import type { AccessGreeting, AccessProtocol, Capabilities } from './types.js';

/** One connection's conversation. Methods throw AccessError; `quit` never throws. */
export interface Dialogue {
  /** Reads the greeting, hands it to `keep` (evidence), then throws AccessError if it refused service. */
  greet(keep: (g: AccessGreeting) => void): Promise<void>;
  capabilities(inTls: boolean): Promise<Capabilities>;
  /** Sends STARTTLS (STLS); `ok` when the server agreed to start TLS now. */
  startTls(): Promise<{ ok: boolean; reply: string }>;
  /** Says goodbye within the quit timeout, ignoring how it goes. */
  quit(): Promise<void>;
  /** Stops reading the plain socket; returns bytes the peer sent before TLS and should not have. */
  detach(): Buffer;
  upgrade(socket: TLSSocket): void;
}

/** What every dialogue is built with. */
export interface DialogueContext {
  protocol: AccessProtocol;
  t: ProbeTimeouts;
  /** The EHLO name (SMTP only). */
  heloName: string;
  signal?: AbortSignal;
}

/** Builds the dialogue for one connection. */
export type DialogueFactory = (
  socket: Socket | TLSSocket,
  transcript: Transcript,
  c: DialogueContext,
) => Dialogue;
