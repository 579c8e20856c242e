/**
 * Does the server still accept TLS 1.0 / 1.1? Each version gets its own short connection up to the
 * handshake, which is the only way to know (the main session negotiates the best version).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Dialer } from '../core/dialer.js';
import { HandshakeError, handshake } from './tls-inspect.js';
import { PhaseError, SmtpSession, Transcript } from './session.js';
import { readBanner, sayEhlo, type ProbeTimeouts } from './steps.js';
import type { LegacyTlsVersion, SmtpProbeResult } from './types.js';

export interface LegacyProbeContext {
  host: string;
  address: string;
  port: number;
  dialer: Dialer;
  heloName: string;
  ca: readonly string[];
  timeouts: ProbeTimeouts;
  signal?: AbortSignal;
  /** The main transcript: each attempt leaves one note there. */
  transcript: Transcript;
}

const VERSIONS: readonly LegacyTlsVersion[] = ['TLSv1', 'TLSv1.1'];
const noop = (): void => {};

/** Tries TLS 1.0 and 1.1 one after the other; `accepted` only when a handshake completed. */
export async function probeLegacyTls(
  c: LegacyProbeContext,
): Promise<NonNullable<SmtpProbeResult['legacyTls']>> {
  const out: NonNullable<SmtpProbeResult['legacyTls']> = {};
  for (const version of VERSIONS) {
    if (c.signal?.aborted) break;
    const { verdict, reason } = await attempt(c, version);
    out[version] = verdict;
    c.transcript.add('*', `${version} in a separate connection: ${verdict}${reason ? ` (${reason})` : ''}`);
  }
  return out;
}

async function attempt(
  c: LegacyProbeContext,
  version: LegacyTlsVersion,
): Promise<{ verdict: 'accepted' | 'refused' | 'error'; reason?: string }> {
  let socket: Socket | undefined;
  let tlsSocket: TLSSocket | undefined;
  try {
    socket = await c.dialer.connect(c.address, c.port, { signal: c.signal, timeoutMs: c.timeouts.connect });
    socket.on('error', noop);
    // A private transcript: the main one keeps just the outcome, so evidence stays readable.
    const session = new SmtpSession(socket, new Transcript(performance.now()), c.signal);
    await readBanner(session, c.timeouts);
    const ehlo = await sayEhlo(session, c.heloName, c.timeouts);
    if (!ehlo.extensions.includes('STARTTLS')) return { verdict: 'error', reason: 'STARTTLS not offered' };
    const r = await session.command('starttls', 'STARTTLS', c.timeouts.command);
    if (r.code !== 220) return { verdict: 'error', reason: `STARTTLS answered ${r.code}` };
    session.detach();
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
    if (err instanceof PhaseError) return { verdict: 'error', reason: `${err.phase}: ${err.reason}` };
    return { verdict: 'error', reason: err instanceof Error ? err.message : String(err) };
  } finally {
    tlsSocket?.destroy();
    socket?.destroy();
  }
}
