import { domainToASCII, domainToUnicode } from 'node:url';
import { UsageError } from '../core/errors.js';

/** A data subject: the addresses and display names a request is about. */
export interface DataSubject {
  addresses: string[];
  names: string[];
}

/** Compiled matchers for one data subject. */
export interface IdentityMatcher {
  readonly subject: DataSubject;
  /** Indexes (into subject.addresses) of the addresses found in `text`. */
  addresses(text: string): number[];
  /** Indexes (into subject.names) of the names found in `text`. */
  names(text: string): number[];
}

/*
 * Characters that may sit right before a local part and make it a longer one (`joann@` is not
 * `ann@`). '=', '?', '/' and '&' are legal in a local part but far more often end a URL query
 * (`?to=ann@x.org`), so they count as a boundary.
 */
const LOCAL_BEFORE = "\\p{L}\\p{N}._%+\\-!#$'*^`{|}~";
const PLUS_TAG = "[\\p{L}\\p{N}._%\\-!#$'*^`{|}~=?/&]*";

function escapeRe(s: string): string {
  // Only characters special outside a class: the 'u' flag rejects needless escapes like \-.
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits and normalises an address: lowercase, local part without its +tag, domain in both IDN forms. */
export function normaliseAddress(address: string): { local: string; domains: string[] } {
  const a = address.trim().replace(/^<|>$/g, '');
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1)
    throw new UsageError('--subject must be an e-mail address (local@domain)');
  const local = a.slice(0, at).normalize('NFC').toLowerCase();
  const plus = local.indexOf('+');
  const base = plus > 0 ? local.slice(0, plus) : local;
  const rawDomain = a
    .slice(at + 1)
    .normalize('NFC')
    .toLowerCase()
    .replace(/\.$/, '');
  const ascii = domainToASCII(rawDomain);
  if (!ascii) throw new UsageError('--subject has an invalid domain');
  const unicode = domainToUnicode(ascii);
  return { local: base, domains: [...new Set([ascii, unicode])] };
}

function addressRegex(address: string): RegExp {
  const { local, domains } = normaliseAddress(address);
  const dom = domains.map(escapeRe).join('|');
  return new RegExp(
    `(?<![${LOCAL_BEFORE}])${escapeRe(local)}(?:\\+${PLUS_TAG})?@(?:${dom})(?![\\p{L}\\p{N}\\-]|\\.[\\p{L}\\p{N}])`,
    'iu',
  );
}

function nameRegex(name: string): RegExp {
  const words = name.normalize('NFC').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new UsageError('--name must not be empty');
  return new RegExp(`(?<![\\p{L}\\p{N}])${words.map(escapeRe).join('[\\s,]+')}(?![\\p{L}\\p{N}])`, 'iu');
}

// Encodings of '@' met in HTML and URLs: `ann&#64;x.org`, `mailto:ann%40x.org`.
const AT_ESCAPES = /%40|&#0*64;|&#x0*40;|&commat;/gi;
/** Whether a text has a character beyond ASCII (its UTF-8 form is then longer: 50x faster than a regex). */
const hasNonAscii = (t: string): boolean => Buffer.byteLength(t, 'utf8') !== t.length;

/**
 * Compiles a data subject. Matching is case-insensitive (Unicode), accepts any +tag on the local
 * part, either IDN form of the domain, and requires address boundaries on both sides.
 */
export function compileIdentity(subject: DataSubject): IdentityMatcher {
  if (subject.addresses.length === 0 && subject.names.length === 0)
    throw new UsageError('give at least one --subject address or --name');
  const addrRes = subject.addresses.map(addressRegex);
  const nameRes = subject.names.map(nameRegex);
  // Cheap pre-check: a text without any of the domains (either form) cannot hold an address.
  const domainNeedles = subject.addresses.flatMap((a) => normaliseAddress(a).domains);
  const domainRe = new RegExp([...new Set(domainNeedles)].map(escapeRe).join('|'), 'iu');
  const prep = (text: string): string => {
    let t = text;
    if (t.includes('%40') || t.includes('&#') || t.includes('&commat;')) t = t.replace(AT_ESCAPES, '@');
    if (hasNonAscii(t)) t = t.normalize('NFC');
    return t;
  };
  return {
    subject,
    addresses(text) {
      if (addrRes.length === 0 || text.length === 0) return [];
      // The domain survives every encoding searched here (%40, &#64;, +tags), so no domain, no match.
      if (!domainRe.test(text)) return [];
      const t = prep(text);
      const out: number[] = [];
      addrRes.forEach((re, i) => {
        if (re.test(t)) out.push(i);
      });
      return out;
    },
    names(text) {
      if (nameRes.length === 0 || text.length === 0) return [];
      const t = hasNonAscii(text) ? text.normalize('NFC') : text;
      const out: number[] = [];
      nameRes.forEach((re, i) => {
        if (re.test(t)) out.push(i);
      });
      return out;
    },
  };
}
