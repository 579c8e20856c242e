/**
 * What the resolver tells Postfix for a domain, and how that is written as a socketmap reply
 * (socketmap_table(5): `OK <value>`, `NOTFOUND `, `TEMP <reason>`, `PERM <reason>`). Only enforce
 * policies produce a TLS policy; DANE, where the MX hosts have it, always wins over MTA-STS.
 */
import { domainToASCII } from 'node:url';
import { isValidHostname } from '../../dns/name.js';
import type { CacheEntry } from './cache.js';

/** The resolver's verdict for one lookup. */
export type StsAnswer =
  | { kind: 'secure'; match: string[]; policyId: string }
  | { kind: 'dane-only' }
  | { kind: 'dane' }
  | { kind: 'notfound'; reason: string }
  | { kind: 'temp'; reason: string }
  | { kind: 'perm'; reason: string };

/**
 * The verdict a cache entry gives at `now`: `dane-only` when every MX host has authenticated TLSA,
 * `dane` when some do (Postfix then insists on DANE where TLSA exists), `secure` for an unexpired
 * enforce policy, otherwise not found (Postfix keeps its default level).
 */
export function answerFor(entry: CacheEntry | undefined, now: number): StsAnswer {
  if (!entry) return { kind: 'notfound', reason: 'nothing known yet' };
  if (entry.dane === 'all') return { kind: 'dane-only' };
  if (entry.dane === 'some') return { kind: 'dane' };
  const p = entry.policy;
  if (!p) return { kind: 'notfound', reason: 'no MTA-STS policy' };
  if (p.expiresAt <= now) return { kind: 'notfound', reason: 'the cached policy has expired' };
  if (p.mode !== 'enforce') return { kind: 'notfound', reason: `policy mode is ${p.mode}` };
  return { kind: 'secure', match: p.mx, policyId: p.id };
}

/**
 * Postfix `match=` names for MTA-STS mx patterns: `*.example.org` becomes `.example.org` (Postfix's
 * sub-domain form, which also admits deeper names; the certificate must still carry one of them).
 */
export function postfixMatch(patterns: readonly string[]): string {
  return patterns.map((p) => (p.startsWith('*.') ? p.slice(1) : p)).join(':');
}

/**
 * The reply payload (before netstring framing).
 * @example socketmapReply({ kind: 'secure', match: ['*.example.org'], policyId: '1' }) // 'OK secure match=.example.org servername=hostname'
 */
export function socketmapReply(a: StsAnswer): string {
  switch (a.kind) {
    case 'secure':
      // servername=hostname: SNI with the MX name, which multi-tenant MX hosts need to pick a certificate.
      return `OK secure match=${postfixMatch(a.match)} servername=hostname`;
    case 'dane-only':
      return 'OK dane-only';
    case 'dane':
      return 'OK dane';
    case 'notfound':
      return 'NOTFOUND ';
    case 'temp':
      return `TEMP ${a.reason}`;
    case 'perm':
      return `PERM ${a.reason}`;
  }
}

/**
 * The recipient domain a Postfix TLS policy lookup key stands for, or undefined when MTA-STS does
 * not apply: `[host]:port` and `[host]` (no MX lookup, so no MTA-STS), `.parent` (Postfix's
 * parent-domain probe), IP literals and invalid names. `domain:port` is a transport-map next hop
 * that still looks up the domain's MX, so the policy applies.
 */
export function domainForKey(key: string): string | undefined {
  let k = key.trim().toLowerCase();
  if (k.startsWith('[') || k.startsWith('.')) return undefined;
  const colon = k.lastIndexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(k.slice(colon + 1))) return undefined;
    k = k.slice(0, colon);
  }
  k = k.replace(/\.$/, '');
  // SMTPUTF8 next hops arrive as U-labels; policies live under the A-label name.
  if (/[^ -~]/.test(k)) k = domainToASCII(k);
  return isValidHostname(k) ? k : undefined;
}
