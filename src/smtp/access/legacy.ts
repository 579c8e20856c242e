/**
 * TLS 1.0 / 1.1 on an access port: each attempt gets its own connection up to the handshake, through
 * the port's STARTTLS dialogue where it needs one, as the SMTP probe does for port 25.
 */
import type { Dialer } from '../../core/dialer.js';
import { describeError } from '../../core/errors.js';
import { Transcript } from '../line-channel.js';
import { tryLegacyVersions } from '../legacy-versions.js';
import type { ProbeTimeouts } from '../steps.js';
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
  const { service } = c;
  return tryLegacyVersions({
    host: c.host,
    address: c.address,
    port: service.port,
    dialer: c.dialer,
    ca: c.ca,
    timeouts: c.t,
    transcript: c.transcript,
    ...(c.signal ? { signal: c.signal } : {}),
    async prepare(socket) {
      if (service.tlsMode !== 'starttls') return undefined;
      // A private transcript: the main one keeps just the outcome, so evidence stays readable.
      const d = c.dialogue(socket, new Transcript(performance.now()), {
        protocol: service.protocol,
        t: c.t,
        heloName: c.heloName,
        ...(c.signal ? { signal: c.signal } : {}),
      });
      await d.greet(noop);
      const caps = await d.capabilities(false);
      if (!caps.keywords.includes(service.starttlsKeyword)) return `${service.starttlsKeyword} not offered`;
      const r = await d.startTls();
      if (!r.ok) return `${service.starttlsKeyword} answered ${r.reply}`;
      d.detach();
      return undefined;
    },
    reasonOf: (err) => (err instanceof AccessError ? `${err.phase}: ${err.reason}` : describeError(err)),
  });
}
