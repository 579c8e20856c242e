import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { DNS_MAX_LABEL_LENGTH, DNS_MAX_NAME_LENGTH } from '../core/limits.js';

/** The outcome of normalising a user-supplied domain name. Reasons never repeat the input. */
export type AsciiDomainResult = { ok: true; domain: string } | { ok: false; reason: string };

// Anything much longer than a legal name is rejected before IDN conversion does work on it.
const MAX_INPUT_LENGTH = 4 * DNS_MAX_NAME_LENGTH;
const LDH_UNDERSCORE = /^[a-z0-9_-]+$/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const NUMERIC = /^\d+$/;

/**
 * Normalises a domain name for DNS: trims, drops one trailing dot, lower-cases, converts IDN to
 * punycode, and checks lengths and characters (letters, digits, hyphen, and underscore for service
 * labels such as `_dmarc`). IP addresses are refused.
 * @example toAsciiDomain('Bücher.Example.') // { ok: true, domain: 'xn--bcher-kva.example' }
 */
export function toAsciiDomain(input: string): AsciiDomainResult {
  if (typeof input !== 'string') return fail('is not text');
  if (input.length > MAX_INPUT_LENGTH) return fail(`is longer than ${DNS_MAX_NAME_LENGTH} characters`);
  let name = input.trim();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return fail('is empty');
  if (isIP(name) !== 0 || /^\[.*\]$/.test(name)) return fail('is an IP address, not a domain name');
  if (name.includes('@')) return fail('contains "@": give the domain part only, not an e-mail address');
  if (Buffer.byteLength(name) === name.length) {
    // Plain ASCII: no IDN conversion, so the checks below can say precisely what is wrong.
    name = name.toLowerCase();
    // A-labels must be valid punycode (RFC 5891 §5.4); a broken one is a typo, not a domain.
    if (name.includes('xn--') && domainToASCII(name) === '')
      return fail('is not a valid internationalised domain name');
  } else {
    const ascii = domainToASCII(name);
    if (ascii === '') return fail('is not a valid internationalised domain name');
    name = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  }
  const problem = nameProblem(name);
  return problem ? fail(problem) : { ok: true, domain: name };
}

/**
 * Whether `name` is a syntactically valid host name (RFC 1123: letters, digits and inner hyphens,
 * no underscore), with an optional trailing dot. IP addresses are not host names here.
 */
export function isValidHostname(name: string): boolean {
  if (typeof name !== 'string') return false;
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > DNS_MAX_NAME_LENGTH) return false;
  const labels = n.split('.');
  if (NUMERIC.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => l.length <= DNS_MAX_LABEL_LENGTH && LDH_LABEL.test(l));
}

/**
 * Why an ASCII, lower-case name without trailing dot is unusable, or undefined when it is fine.
 * `dnsData` admits what DNS data may hold but nobody means to scan: a numeric last label
 * (`192.0.2.25` as a broken MX target) and labels that start or end with a hyphen.
 */
export function nameProblem(name: string, options: { dnsData?: boolean } = {}): string | undefined {
  if (name.length > DNS_MAX_NAME_LENGTH) return `is longer than ${DNS_MAX_NAME_LENGTH} characters`;
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') return 'has an empty label (two dots in a row, or a leading dot)';
    if (label.length > DNS_MAX_LABEL_LENGTH)
      return `has a label longer than ${DNS_MAX_LABEL_LENGTH} characters`;
    if (!LDH_UNDERSCORE.test(label)) {
      return 'contains characters not allowed in a domain name (letters, digits, hyphen, underscore)';
    }
    if (!options.dnsData && (label.startsWith('-') || label.endsWith('-'))) {
      return 'has a label that starts or ends with a hyphen';
    }
  }
  // No top-level domain is all digits (RFC 3696 §2); such names are mistyped or shortened IPs.
  if (!options.dnsData && NUMERIC.test(labels[labels.length - 1] ?? '')) {
    return 'ends in a numeric label, like an IP address';
  }
  return undefined;
}

function fail(reason: string): AsciiDomainResult {
  return { ok: false, reason: `the name ${reason}` };
}
