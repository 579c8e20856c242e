/**
 * Verdicts on what a server tells strangers: its software (banner), its users (VRFY/EXPN), and
 * whether it relays for them.
 */
import { findDisclosures } from './disclosure.js';
import type { SmtpProbeResult } from './types.js';
import { capitalise, exchanges, type Verdict } from './verdict.js';

const BANNER_FIX =
  'Postfix: smtpd_banner = $myhostname ESMTP; Exim: smtp_banner = $smtp_active_hostname ESMTP; Sendmail: O SmtpGreetingMessage=$j; Exchange: Set-ReceiveConnector -Banner "220 <host name>".';
const VRFY_FIX =
  'Postfix: disable_vrfy_command = yes (Postfix never implements EXPN); Exim: do not define acl_smtp_vrfy/acl_smtp_expn, or deny in them; Sendmail: O PrivacyOptions=goaway.';
const RELAY_FIX =
  'Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination with mynetworks limited to your own hosts (e.g. 127.0.0.0/8 [::1]/128).';

/** `smtp.banner`: software name or version in the banner or EHLO greeting. */
export function bannerVerdict(r: SmtpProbeResult): Verdict | undefined {
  const texts = [...(r.banner?.text ?? []), r.ehlo?.lines[0] ?? '', r.ehloAfterTls?.lines[0] ?? ''].filter(
    Boolean,
  );
  const found = findDisclosures(texts);
  const evidence = { banner: r.banner ?? null, greeting: r.ehlo?.lines[0] ?? null, disclosures: found };
  if (found.length === 0) {
    return {
      status: 'pass',
      title: `${r.host} does not name its mail software`,
      detail: 'Neither the banner nor the EHLO greeting names the mail software or its version.',
      evidence,
    };
  }
  const names = found.map((d) => (d.version ? `${d.product} ${d.version}` : d.product)).join(', ');
  return {
    status: 'warn',
    severity: 'low',
    title: `${r.host} discloses its software (${names})`,
    detail: `The banner or EHLO greeting names ${names}: free reconnaissance for anyone looking for servers with a known vulnerability.`,
    remediation: BANNER_FIX,
    evidence,
  };
}

/** 250/251, or 252 that names a mailbox, confirm the address; 252 without one is the safe answer. */
function confirms(reply: { code: number; text: string } | undefined): boolean {
  if (!reply) return false;
  if (reply.code === 250 || reply.code === 251) return true;
  return reply.code === 252 && /@|<[^>]+>/.test(reply.text);
}

/** `smtp.vrfy`: VRFY/EXPN must not confirm mailboxes. */
export function vrfyVerdict(r: SmtpProbeResult): Verdict | undefined {
  if (!r.vrfy && !r.expn) {
    if (r.error?.phase !== 'vrfy') return undefined;
    return {
      status: 'error',
      severity: 'low',
      title: `${r.host}: VRFY/EXPN could not be tested`,
      detail: `The session ended during the test: ${r.error.reason}.`,
      evidence: { transcript: exchanges(r, ['VRFY', 'EXPN']) },
    };
  }
  // Reply texts stay in the transcript only: they may name people.
  const evidence = {
    vrfy: r.vrfy?.code ?? null,
    expn: r.expn?.code ?? null,
    transcript: exchanges(r, ['VRFY', 'EXPN']),
  };
  const open = [confirms(r.vrfy) ? 'VRFY' : '', confirms(r.expn) ? 'EXPN' : ''].filter(Boolean);
  if (open.length > 0) {
    return {
      status: 'fail',
      severity: 'medium',
      title: `${r.host} confirms mailboxes with ${open.join(' and ')}`,
      detail: `${open.join(' and ')} answered with a confirmation, so anyone can find out which people have a mailbox here (and with EXPN, who is on a list): personal data disclosed to strangers and a gift to spammers.`,
      remediation: VRFY_FIX,
      evidence,
    };
  }
  return {
    status: 'pass',
    title: `${r.host} does not confirm mailboxes with VRFY/EXPN`,
    detail: `VRFY answered ${r.vrfy?.code ?? 'nothing'} and EXPN answered ${r.expn?.code ?? 'nothing'}: neither confirms an address.`,
    evidence,
  };
}

/** `smtp.relay`: only when tested; a foreign recipient accepted from a foreign sender is an open relay. */
export function relayVerdict(r: SmtpProbeResult): Verdict | undefined {
  const evidence = { relay: r.relay ?? null, transcript: exchanges(r, ['MAIL', 'RCPT', 'RSET']) };
  if (!r.relay) {
    if (r.error?.phase !== 'relay') return undefined;
    return {
      status: 'error',
      severity: 'low',
      title: `${r.host}: the open-relay test could not be completed`,
      detail: `${capitalise(r.error.reason)}.`,
      evidence,
    };
  }
  if (!r.relay.tested) {
    return {
      status: 'error',
      severity: 'low',
      title: `${r.host}: the open-relay test could not be completed`,
      detail: `The test sender was refused (${r.relay.code ?? 'no reply'}), so relaying could not be tried.`,
      evidence,
    };
  }
  if (r.relay.acceptedForeignRcpt) {
    return {
      status: 'fail',
      severity: 'critical',
      title: `${r.host} is an open relay`,
      detail: `The server accepted a recipient in a foreign domain from a foreign sender without authentication (${r.relay.code}). Anyone can send mail through it; no message was sent by this test (no DATA).`,
      remediation: RELAY_FIX,
      evidence,
    };
  }
  return {
    status: 'pass',
    title: `${r.host} does not relay for strangers`,
    detail: `A foreign recipient from a foreign sender was refused (${r.relay.code}).`,
    evidence,
  };
}
