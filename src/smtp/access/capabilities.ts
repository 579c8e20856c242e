/**
 * Capability lists of SMTP (EHLO), IMAP (CAPABILITY) and POP3 (CAPA), normalised to keywords and
 * SASL mechanisms. Input is whatever a peer sent: tokens that are not plausible atoms are dropped.
 */
import { ACCESS_MAX_CAPABILITIES } from '../../core/limits.js';
import type { EhloReply } from '../types.js';
import type { Capabilities } from './types.js';

/** A capability or mechanism name: printable ASCII without spaces, short (RFC 4422 names are ≤ 20). */
const TOKEN = /^[\x21-\x7e]{1,64}$/;

function add(list: string[], token: string): void {
  const t = token.toUpperCase();
  if (TOKEN.test(t) && !list.includes(t) && list.length < ACCESS_MAX_CAPABILITIES) list.push(t);
}

/** The empty listing of a server that does not list capabilities. */
export function unlisted(): Capabilities {
  return { keywords: [], mechanisms: [], listed: false };
}

/**
 * From an EHLO reply: the keywords the SMTP probe already extracted, plus the mechanisms of
 * `AUTH PLAIN LOGIN` and of the pre-standard `AUTH=PLAIN LOGIN` that old clients needed.
 */
export function smtpCapabilities(ehlo: EhloReply): Capabilities {
  const out: Capabilities = { keywords: [], mechanisms: [], listed: !ehlo.helo };
  for (const k of ehlo.extensions) add(out.keywords, k);
  for (const line of ehlo.lines.slice(1)) {
    const m = /^AUTH[ =](.*)$/i.exec(line.trim());
    if (!m) continue;
    for (const mech of (m[1] ?? '').split(/\s+/)) if (mech) add(out.mechanisms, mech);
  }
  return out;
}

/** From the untagged responses to `CAPABILITY` (text after `* `): `CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN`. */
export function imapCapabilities(untagged: readonly string[]): Capabilities {
  const out: Capabilities = { keywords: [], mechanisms: [], listed: true };
  for (const line of untagged) {
    const m = /^CAPABILITY(?: (.*))?$/i.exec(line.trim());
    if (!m) continue;
    for (const token of (m[1] ?? '').split(/\s+/)) {
      if (!token) continue;
      if (/^AUTH=/i.test(token)) add(out.mechanisms, token.slice(5));
      else add(out.keywords, token);
    }
  }
  return out;
}

/** From the lines of a CAPA listing (RFC 2449), dot-unstuffed: `USER`, `SASL PLAIN LOGIN`, `STLS`. */
export function pop3Capabilities(lines: readonly string[]): Capabilities {
  const out: Capabilities = { keywords: [], mechanisms: [], listed: true };
  for (const line of lines) {
    const [keyword = '', ...args] = line.trim().split(/\s+/);
    if (!keyword) continue;
    add(out.keywords, keyword);
    if (keyword.toUpperCase() === 'SASL') for (const mech of args) add(out.mechanisms, mech);
  }
  return out;
}
