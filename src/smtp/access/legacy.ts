/**
 * Does an access port still accept TLS 1.0 / 1.1? Each version gets its own short connection up to
 * the handshake (through STARTTLS where the port needs it), as the SMTP probe does for port 25.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Dialer } from '../../core/dialer.js';
import { describeError } from '../../core/errors.js';
import { Transcript } from '../session.js';
import type { ProbeTimeouts } from '../steps.js';
import { HandshakeError, handshake } from '../tls-inspect.js';
import type { LegacyTlsVersion } from '../types.js';
import type { DialogueFactory } from './dialogue.js';
import type { AccessService } from './services.js';
import { AccessError } from './text-session.js';
import type { AccessProbeResult } from './types.js';

/** Everything one legacy attempt needs. */
export interface LegacyAccessContext {
  service: AccessService;
  dialogue: DialogueFactory;
  host: string;
  address: string;
  dialer: Dialer;
  heloName: string;
  ca: readonly string[];
  t: ProbeTimeouts;
  signal?: AbortSignal;
  /** The main transcript: each attempt leaves one note there. */
  transcript: Transcript;
}

type Outcome = 'accepted' | 'refused' | 'error';

const VERSIONS: readonly LegacyTlsVersion[] = ['TLSv1', 'TLSv1.1'];

/** OpenSSL's words for a peer that answered a ClientHello with something that is not TLS at all. */
const PLAINTEXT_PEER =
  /WRONG_VERSION_NUMBER|wrong version number|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|HTTP_REQUEST/i;

/** True when a handshake failure says the peer speaks clear text: no TLS version will do better. */
export function looksLikePlaintextPeer(reason: string): boolean {
  return PLAINTEXT_PEER.test(reason);
}
const noop = (): void => {};

/** Tries TLS 1.0 and 1.1 one after the other; `accepted` only when a handshake completed. */
export async function probeLegacyAccess(
  c: LegacyAccessContext,
): Promise<NonNullable<AccessProbeResult['legacyTls']>> {
  const out: NonNullable<AccessProbeResult['legacyTls']> = {};
  for (const version of VERSIONS) {
    if (c.signal?.aborted) break;
    const { verdict, reason } = await attempt(c, version);
    out[version] = verdict;
    c.transcript.add('*', `${version} in a separate connection: ${verdict}${reason ? ` (${reason})` : ''}`);
  }
  return out;
}

async function attempt(
  c: LegacyAccessContext,
  version: LegacyTlsVersion,
): Promise<{ verdict: Outcome; reason?: string }> {
  let socket: Socket | undefined;
  let tlsSocket: TLSSocket | undefined;
  try {
    socket = await c.dialer.connect(c.address, c.service.port, {
      timeoutMs: c.t.connect,
      ...(c.signal ? { signal: c.signal } : {}),
    });
    socket.on('error', noop);
    if (c.service.tlsMode === 'starttls') {
      // A private transcript: the main one keeps just the outcome, so evidence stays readable.
      const d = c.dialogue(socket, new Transcript(performance.now()), {
        protocol: c.service.protocol,
        t: c.t,
        heloName: c.heloName,
        ...(c.signal ? { signal: c.signal } : {}),
      });
      await d.greet(noop);
      const caps = await d.capabilities(false);
      if (!caps.keywords.includes(c.service.starttlsKeyword)) {
        return { verdict: 'error', reason: `${c.service.starttlsKeyword} not offered` };
      }
      const r = await d.startTls();
      if (!r.ok) return { verdict: 'error', reason: `${c.service.starttlsKeyword} answered ${r.reply}` };
      d.detach();
    }
    tlsSocket = await handshake(socket, {
      host: c.host,
      ca: c.ca,
      minVersion: version,
      maxVersion: version,
      timeoutMs: c.t.tls,
      ...(c.signal ? { signal: c.signal } : {}),
    });
    return { verdict: 'accepted' };
  } catch (err) {
    if (err instanceof HandshakeError) {
      // An alert or a hang-up in answer to our ClientHello is the server declining the version.
      if (err.kind === 'alert' || err.kind === 'closed') return { verdict: 'refused', reason: err.message };
      return { verdict: 'error', reason: err.message };
    }
    if (err instanceof AccessError) return { verdict: 'error', reason: `${err.phase}: ${err.reason}` };
    return { verdict: 'error', reason: describeError(err) };
  } finally {
    tlsSocket?.destroy();
    socket?.destroy();
  }
}
