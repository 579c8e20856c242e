/**
 * TLS 1.0 / 1.1 on port 25: each attempt runs banner, EHLO and STARTTLS on its own connection before
 * the handshake with only that version allowed.
 */
import type { Dialer } from '../core/dialer.js';
import { tryLegacyVersions } from './legacy-versions.js';
import { PhaseError, SmtpSession, Transcript } from './session.js';
import { readBanner, sayEhlo, type ProbeTimeouts } from './steps.js';
import type { SmtpProbeResult } from './types.js';

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

/** Tries TLS 1.0 and 1.1 one after the other; `accepted` only when a handshake completed. */
export async function probeLegacyTls(
  c: LegacyProbeContext,
): Promise<NonNullable<SmtpProbeResult['legacyTls']>> {
  return tryLegacyVersions({
    ...c,
    async prepare(socket) {
      // A private transcript: the main one keeps just the outcome, so evidence stays readable.
      const session = new SmtpSession(socket, new Transcript(performance.now()), c.signal);
      await readBanner(session, c.timeouts);
      const ehlo = await sayEhlo(session, c.heloName, c.timeouts);
      if (!ehlo.extensions.includes('STARTTLS')) return 'STARTTLS not offered';
      const r = await session.command('starttls', 'STARTTLS', c.timeouts.command);
      if (r.code !== 220) return `STARTTLS answered ${r.code}`;
      session.detach();
      return undefined;
    },
    // Port-25 notes name a dial failure by its message alone (no error code), as they did before.
    reasonOf: (err) =>
      err instanceof PhaseError
        ? `${err.phase}: ${err.reason}`
        : err instanceof Error
          ? err.message
          : String(err),
  });
}
