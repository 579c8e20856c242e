/**
 * Scripted SMTP peers for probe tests: the line peer of access-peer.ts with SMTP's defaults (a 220
 * banner, canned replies by verb, STARTTLS when `tls` is set) and SMTP's ways to misbehave.
 */
import { createServer } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { startLinePeer, type LineAction, type LinePeer } from './access-peer.js';

/** What the peer does with one command: send these raw lines (CRLF added) or act. */
export type PeerAction =
  | string[]
  | 'stall'
  | 'close'
  /** Send `220`, then run the TLS handshake as a server. */
  | 'starttls'
  /** Send `220`, then hang up as soon as the client starts the handshake. */
  | 'starttls-then-close'
  /** Send `220`, then ignore everything. */
  | 'starttls-then-stall';

export interface PeerScript {
  /** Raw greeting lines, or a raw buffer (garbage), or 'stall' to never greet. */
  banner?: string[] | Buffer | 'stall';
  /** Extensions in the EHLO reply after the greeting line; STARTTLS is added when `tls` is set. */
  extensions?: string[];
  /** Enables STARTTLS with these settings (key, cert, versions, ciphers). */
  tls?: SecureContextOptions;
  /** Replies by upper-case verb, overriding the defaults. */
  replies?: Record<string, PeerAction>;
}

/** A running peer: its port, every command line received (across connections), connections seen. */
export type ScriptedPeer = LinePeer;

const READY_FOR_TLS = '220 2.0.0 Ready to start TLS';

/** Starts a scripted peer on 127.0.0.1 with an OS-chosen port. */
export async function startPeer(script: PeerScript): Promise<ScriptedPeer> {
  const defaults = (tlsUp: boolean): Record<string, PeerAction> => {
    const canStartTls = script.tls !== undefined && !tlsUp;
    return {
      EHLO: ehloLines([
        'peer.test greets you',
        ...(script.extensions ?? ['PIPELINING', 'SIZE 10240000']),
        ...(canStartTls ? ['STARTTLS'] : []),
      ]),
      HELO: ['250 peer.test'],
      STARTTLS: canStartTls ? 'starttls' : ['502 5.5.1 STARTTLS not available'],
      VRFY: ['502 5.5.1 VRFY command is disabled'],
      EXPN: ['502 5.5.2 Error: command not recognized'],
      MAIL: ['250 2.1.0 Ok'],
      RCPT: ['554 5.7.1 Relay access denied'],
      RSET: ['250 2.0.0 Ok'],
      QUIT: ['221 2.0.0 Bye'],
    };
  };
  return startLinePeer({
    greeting: script.banner ?? ['220 peer.test ESMTP'],
    ...(script.tls ? { tls: script.tls } : {}),
    answer: (line, tlsUp) => {
      const verb = line.split(' ', 1)[0]!.toUpperCase();
      const action = script.replies?.[verb] ??
        defaults(tlsUp)[verb] ?? ['502 5.5.2 Error: command not recognized'];
      return lineAction(action, verb);
    },
  });
}

function lineAction(action: PeerAction, verb: string): LineAction {
  switch (action) {
    case 'stall':
    case 'close':
      return action;
    case 'starttls':
      return { starttls: [READY_FOR_TLS], then: 'handshake' };
    case 'starttls-then-close':
      return { starttls: [READY_FOR_TLS], then: 'close' };
    case 'starttls-then-stall':
      return { starttls: [READY_FOR_TLS], then: 'stall' };
    default:
      return verb === 'QUIT' ? { last: action } : action;
  }
}

/** `250-first`, `250-...`, `250 last`. */
export function ehloLines(texts: string[]): string[] {
  return texts.map((t, i) => `250${i === texts.length - 1 ? ' ' : '-'}${t}`);
}

/** A free loopback port: listen, note it, close. Nothing listens there afterwards. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
