/**
 * Does a server still accept TLS 1.0 / 1.1? Each version gets its own short connection up to the
 * handshake, which is the only way to know (the main connection negotiates the best version). The
 * port-25 probe and the access probe differ only in how a fresh connection reaches the ClientHello
 * and in how they word a failure before it, so both are parameters.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Dialer } from '../core/dialer.js';
import type { Transcript } from './line-channel.js';
import type { ProbeTimeouts } from './steps.js';
import { HandshakeError, handshake } from './tls-inspect.js';
import type { LegacyTlsVersion } from './types.js';

/** What one version attempt concluded; `accepted` only when a handshake completed. */
export type LegacyVerdict = 'accepted' | 'refused' | 'error';

/** Everything the attempts need; `prepare` and `reasonOf` carry what differs between probes. */
export interface LegacyAttempts {
  /** The name the certificate must carry (and the SNI sent). */
  host: string;
  address: string;
  port: number;
  dialer: Dialer;
  ca: readonly string[];
  timeouts: Pick<ProbeTimeouts, 'connect' | 'tls'>;
  signal?: AbortSignal;
  /** The main transcript: each attempt leaves one note there. */
  transcript: Transcript;
  /**
   * Brings a fresh connection to where the ClientHello goes out (STARTTLS, or nothing on an
   * implicit-TLS port). A returned reason ends the attempt as `error` without a handshake.
   */
  prepare: (socket: Socket) => Promise<string | undefined>;
  /** The reason shown for a failure that is not the handshake's (dial, greeting, STARTTLS). */
  reasonOf: (err: unknown) => string;
}

const VERSIONS: readonly LegacyTlsVersion[] = ['TLSv1', 'TLSv1.1'];
const noop = (): void => {};

/** Tries TLS 1.0 and 1.1 one after the other, stopping early only when the probe is aborted. */
export async function tryLegacyVersions(
  c: LegacyAttempts,
): Promise<Partial<Record<LegacyTlsVersion, LegacyVerdict>>> {
  const out: Partial<Record<LegacyTlsVersion, LegacyVerdict>> = {};
  for (const version of VERSIONS) {
    if (c.signal?.aborted) break;
    const { verdict, reason } = await attempt(c, version);
    out[version] = verdict;
    c.transcript.add('*', `${version} in a separate connection: ${verdict}${reason ? ` (${reason})` : ''}`);
  }
  return out;
}

async function attempt(
  c: LegacyAttempts,
  version: LegacyTlsVersion,
): Promise<{ verdict: LegacyVerdict; reason?: string }> {
  let socket: Socket | undefined;
  let tlsSocket: TLSSocket | undefined;
  try {
    socket = await c.dialer.connect(c.address, c.port, {
      timeoutMs: c.timeouts.connect,
      ...(c.signal ? { signal: c.signal } : {}),
    });
    socket.on('error', noop);
    const stopped = await c.prepare(socket);
    if (stopped !== undefined) return { verdict: 'error', reason: stopped };
    tlsSocket = await handshake(socket, {
      host: c.host,
      ca: c.ca,
      minVersion: version,
      maxVersion: version,
      timeoutMs: c.timeouts.tls,
      ...(c.signal ? { signal: c.signal } : {}),
    });
    return { verdict: 'accepted' };
  } catch (err) {
    if (err instanceof HandshakeError) {
      // An alert or a hang-up in answer to our ClientHello is the server declining the version.
      if (err.kind === 'alert' || err.kind === 'closed') return { verdict: 'refused', reason: err.message };
      return { verdict: 'error', reason: err.message };
    }
    return { verdict: 'error', reason: c.reasonOf(err) };
  } finally {
    tlsSocket?.destroy();
    socket?.destroy();
  }
}
