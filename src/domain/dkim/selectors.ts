/**
 * DKIM selectors to probe. Selectors cannot be enumerated in DNS, so the check can only try names that
 * are common in practice; each one costs a query per domain, which keeps the list short.
 */
import { DKIM_MAX_SELECTORS, DNS_MAX_LABEL_LENGTH } from '../../core/limits.js';

/** Selectors in real use by common mail platforms and defaults of signing software. */
export const COMMON_DKIM_SELECTORS: readonly string[] = [
  'default', // OpenDKIM, cPanel, many hosting panels
  'selector1', // Microsoft 365
  'selector2', // Microsoft 365 (rotation pair)
  'google', // Google Workspace
  'k1', // Mailchimp / Mandrill
  's1', // SendGrid and others
  's2',
  'dkim',
  'mail',
  'smtp',
  'mxvault', // MXroute
  'everlytickey1', // Everlytic
];

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** True for a selector made of DNS labels (RFC 6376 §3.1: sub-domain *("." sub-domain)). */
export function isValidSelector(selector: string): boolean {
  if (selector.length === 0 || selector.length > 200) return false;
  return selector.split('.').every((l) => l.length <= DNS_MAX_LABEL_LENGTH && LABEL.test(l));
}

/** The selectors to probe: the common list, then the user's (lower-cased, deduplicated, capped). */
export function selectorsToProbe(extra: readonly string[]): {
  selectors: string[];
  user: string[];
  invalid: string[];
  dropped: number;
} {
  const user: string[] = [];
  const invalid: string[] = [];
  for (const raw of extra) {
    const s = raw.trim().toLowerCase().replace(/\.$/, '');
    if (!isValidSelector(s)) invalid.push(raw);
    else if (!user.includes(s)) user.push(s);
  }
  const all = [...new Set([...user, ...COMMON_DKIM_SELECTORS])];
  const selectors = all.slice(0, DKIM_MAX_SELECTORS);
  return {
    selectors,
    user: user.filter((s) => selectors.includes(s)),
    invalid,
    dropped: all.length - selectors.length,
  };
}
