/**
 * The intrusive probes: VRFY/EXPN (do they confirm mailboxes?) and, only when asked, an open-relay
 * test that stops at RCPT TO: no DATA is ever sent, so no message can be relayed.
 */
import { PhaseError, type SmtpSession } from './session.js';
import type { ProbeTimeouts } from './steps.js';
import type { SmtpProbeResult } from './types.js';

/** `VRFY postmaster` and `EXPN postmaster`: postmaster must exist (RFC 5321 §4.5.1), so any answer is about the command. */
export async function probeVrfy(
  session: SmtpSession,
  t: ProbeTimeouts,
): Promise<Pick<SmtpProbeResult, 'vrfy' | 'expn'>> {
  const vrfy = await session.command('vrfy', 'VRFY postmaster', t.command);
  const expn = await session.command('vrfy', 'EXPN postmaster', t.command);
  return {
    vrfy: { code: vrfy.code, text: vrfy.lines.join('\n') },
    expn: { code: expn.code, text: expn.lines.join('\n') },
  };
}

/** A mailbox we are willing to put on the wire: no spaces, brackets or line breaks (no command injection). */
const SAFE_ADDRESS = /^[^\s<>()\\,;:"@]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/** True when the address can be sent in MAIL FROM / RCPT TO as is. */
export function isSafeAddress(a: string): boolean {
  return a.length <= 254 && SAFE_ADDRESS.test(a);
}

/**
 * MAIL FROM a foreign sender, RCPT TO a foreign recipient, then RSET. A 250/251 to RCPT means the
 * server would relay for anyone. Never logs the addresses outside the transcript.
 */
export async function probeRelay(
  session: SmtpSession,
  relay: { from: string; to: string },
  t: ProbeTimeouts,
): Promise<NonNullable<SmtpProbeResult['relay']>> {
  if (!isSafeAddress(relay.from) || !isSafeAddress(relay.to)) {
    throw new PhaseError('relay', 'relay test addresses are not plain mailbox addresses');
  }
  const mail = await session.command('relay', `MAIL FROM:<${relay.from}>`, t.command);
  if (mail.code !== 250) {
    await tryReset(session, t);
    return { tested: false, code: mail.code };
  }
  const rcpt = await session.command('relay', `RCPT TO:<${relay.to}>`, t.command);
  await tryReset(session, t);
  return { tested: true, acceptedForeignRcpt: rcpt.code === 250 || rcpt.code === 251, code: rcpt.code };
}

async function tryReset(session: SmtpSession, t: ProbeTimeouts): Promise<void> {
  try {
    await session.command('relay', 'RSET', t.command);
  } catch {
    // The verdict is already known; a server hanging up on RSET does not change it.
  }
}
