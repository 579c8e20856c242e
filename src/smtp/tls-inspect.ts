/**
 * TLS over an upgraded SMTP socket: the handshake with a deadline, and what it negotiated. The probe
 * never refuses a certificate or a cipher itself: it observes, and the findings judge.
 */
import { createHash } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  createSecureContext,
  rootCertificates,
  type SecureContext,
  type SecureVersion,
  type TLSSocket,
} from 'node:tls';
import { chainFromPeer } from './certificate.js';
import type { TlsSummary } from './types.js';

/**
 * Strong suites first, so a server honouring the client's order picks one of them; weak ones are
 * still offered so a server that only has those shows it, as opportunistic senders would accept them.
 * SECLEVEL=0 lets short keys and SHA-1 through to be reported instead of failing the handshake.
 */
const OBSERVING_CIPHERS = 'ALL:COMPLEMENTOFALL:!PSK:!SRP:+aNULL:+eNULL:@SECLEVEL=0';

const contexts = new Map<string, SecureContext>();
const MAX_CACHED_CONTEXTS = 16;

/** A secure context per trust set and version range: building one over ~140 roots costs milliseconds. */
function secureContextFor(
  ca: readonly string[],
  minVersion: SecureVersion,
  maxVersion: SecureVersion,
): SecureContext {
  const key = `${minVersion}/${maxVersion}/${createHash('sha256').update(ca.join('\n')).digest('hex')}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = createSecureContext({
      ca: [...rootCertificates, ...ca],
      ciphers: OBSERVING_CIPHERS,
      minVersion,
      maxVersion,
    });
    if (contexts.size >= MAX_CACHED_CONTEXTS) contexts.clear();
    contexts.set(key, ctx);
  }
  return ctx;
}

export interface HandshakeOptions {
  /** The MX host name: sent as SNI (unless an address literal) and checked against the certificate. */
  host: string;
  /** Extra PEM trust anchors besides the system store. */
  ca: readonly string[];
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Why a handshake did not complete. `alert` means the peer answered with a TLS alert or a protocol error. */
export class HandshakeError extends Error {
  constructor(
    readonly kind: 'alert' | 'closed' | 'timeout' | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'HandshakeError';
  }
}

const noop = (): void => {};

/**
 * Runs a client handshake over `socket`. Resolves with the TLS socket (the caller destroys it) or
 * rejects with HandshakeError after destroying it; never leaves a timer or listener behind.
 */
export function handshake(socket: Socket, o: HandshakeOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new HandshakeError('aborted', 'probe aborted'));
    const tlsSocket = tlsConnect({
      socket,
      ...(isIP(o.host) ? {} : { servername: o.host }),
      secureContext: secureContextFor(o.ca, o.minVersion, o.maxVersion),
      rejectUnauthorized: false,
      // Node would fold a name mismatch into `authorized`; the name is checked separately.
      checkServerIdentity: () => undefined,
      minVersion: o.minVersion,
      maxVersion: o.maxVersion,
    });
    // Errors after the handshake (peer resets during QUIT) must not crash the process.
    tlsSocket.on('error', noop);
    const settle = (err?: HandshakeError) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      tlsSocket.off('secureConnect', onSecure);
      tlsSocket.off('error', onError);
      tlsSocket.off('close', onClose);
      if (err) {
        tlsSocket.destroy();
        reject(err);
      } else resolve(tlsSocket);
    };
    const onSecure = () => settle();
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNRESET' || code === 'EPIPE')
        settle(new HandshakeError('closed', 'connection reset during the TLS handshake'));
      else settle(new HandshakeError('alert', `TLS handshake failed: ${code || err.message}`));
    };
    const onClose = () => settle(new HandshakeError('closed', 'connection closed during the TLS handshake'));
    const onAbort = () => settle(new HandshakeError('aborted', 'probe aborted'));
    const timer = setTimeout(
      () => settle(new HandshakeError('timeout', `TLS handshake not done within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    o.signal?.addEventListener('abort', onAbort, { once: true });
    tlsSocket.once('secureConnect', onSecure);
    tlsSocket.on('error', onError);
    tlsSocket.once('close', onClose);
  });
}

/** What the handshake negotiated and presented, checked against the trust anchors and the host name. */
export function summarizeTls(tlsSocket: TLSSocket, host: string): TlsSummary {
  const cipher = tlsSocket.getCipher();
  const protocol = tlsSocket.getProtocol() ?? 'unknown';
  // Order matters: on Node 20 getPeerX509Certificate() takes the presented chain out of the TLS
  // session (ownership moves into the returned objects), after which getPeerCertificate() is empty.
  // The legacy object is what checkServerIdentity reads (subject, subjectaltname), so it comes first.
  const legacyLeaf = tlsSocket.getPeerCertificate();
  const chain = chainFromPeer(tlsSocket.getPeerX509Certificate());
  const ephemeral = tlsSocket.getEphemeralKeyInfo();
  const out: TlsSummary = {
    protocol,
    cipher: cipher.name,
    forwardSecrecy: hasForwardSecrecy(protocol, cipher.name, ephemeral),
    chain,
    authorized: tlsSocket.authorized,
    nameMatches: false,
  };
  if (cipher.standardName) out.standardCipher = cipher.standardName;
  if (!tlsSocket.authorized) {
    const e = tlsSocket.authorizationError as unknown;
    out.authorizationError =
      e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e ?? 'unknown');
  }
  if (chain.length > 0 && 'subject' in legacyLeaf) {
    const err = checkServerIdentity(host, legacyLeaf);
    out.nameMatches = err === undefined;
    if (err) out.nameError = err.message;
  } else {
    out.nameError = 'no certificate presented';
  }
  return out;
}

/** TLS 1.3 always has it; before that only (EC)DHE key exchange does (RFC 7525 §3.2). */
export function hasForwardSecrecy(protocol: string, cipherName: string, ephemeral?: object | null): boolean {
  if (protocol === 'TLSv1.3') return true;
  if (/^(?:ECDHE|DHE|EDH)-/.test(cipherName)) return true;
  const type = ephemeral && 'type' in ephemeral ? (ephemeral as { type?: string }).type : undefined;
  // Anonymous (EC)DH is ephemeral too, but without authentication that is no protection worth naming.
  return (type === 'ECDH' || type === 'DH') && !/^(?:ADH|AECDH)-/.test(cipherName);
}
