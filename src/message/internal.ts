import ipaddr from 'ipaddr.js';

/** ipaddr.js ranges that never route on the public internet: the sender's own network. */
const INTERNAL_RANGES = new Set([
  'private',
  'carrierGradeNat',
  'loopback',
  'linkLocal',
  'uniqueLocal',
  'unspecified',
]);

/** Suffixes used for names that only resolve inside an organisation (RFC 6762, RFC 8375, common practice). */
export const INTERNAL_SUFFIXES = ['local', 'lan', 'internal', 'corp', 'home.arpa', 'localdomain', 'intranet'];

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function strip(text: string): string {
  let t = text.trim();
  if (t.length > 5 && t.slice(0, 5).toLowerCase() === 'ipv6:') t = t.slice(5);
  const pct = t.indexOf('%');
  if (pct >= 0) t = t.slice(0, pct); // zone index (fe80::1%eth0)
  return t;
}

function quad(t: string): number[] | undefined {
  const m = DOTTED_QUAD.exec(t);
  if (!m) return undefined;
  const o = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return o.every((x) => x <= 255) ? o : undefined;
}

/** Parses an IPv4/IPv6 literal (IPv4-mapped IPv6 becomes IPv4); undefined when it is not one. */
export function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const t = strip(text);
  // ipaddr.js also accepts "10" or "0x0a.1" forms as IPv4; only dotted quads are addresses in headers.
  if (!t.includes(':')) {
    const o = quad(t);
    return o ? new ipaddr.IPv4(o) : undefined;
  }
  // Times (10:00:00) and ids are far more common than IPv6 literals: skip what cannot be one cheaply.
  if (!t.includes('::') && t.split(':').length < 7) return undefined;
  if (!ipaddr.IPv6.isValid(t)) return undefined;
  try {
    return ipaddr.process(t);
  } catch {
    return undefined;
  }
}

/** True for RFC 1918, CGNAT 100.64/10, loopback, link-local, IPv6 ULA and unspecified addresses. */
export function isInternalIp(text: string): boolean {
  const t = strip(text);
  if (!t.includes(':')) {
    // The common case, checked without building objects: this runs for every address in every header.
    const o = quad(t);
    if (!o) return false;
    const [a, b] = o as [number, number];
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  const ip = parseIp(t);
  return ip !== undefined && INTERNAL_RANGES.has(ip.range());
}

/** Decides whether a host name or address belongs to the organisation's inside. */
export interface InternalMatcher {
  ip(text: string): boolean;
  host(name: string): boolean;
}

/** Normalises a zone list: lower case, no leading/trailing dots. */
export function normaliseZones(zones: readonly string[]): string[] {
  return zones
    .map((z) =>
      z
        .trim()
        .toLowerCase()
        .replace(/^\.+|\.+$/g, ''),
    )
    .filter((z) => z !== '');
}

/**
 * True for single-label names, `localhost`, the well-known internal suffixes and names under the
 * organisation's declared internal zones. IP literals are not host names and return false.
 */
export function isInternalHost(name: string, zones: readonly string[] = []): boolean {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  if (n === '' || parseIp(n) || n.startsWith('[')) return false;
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(n)) return false;
  if (!n.includes('.')) return true;
  for (const s of INTERNAL_SUFFIXES) if (n === s || n.endsWith(`.${s}`)) return true;
  for (const z of zones) if (n === z || n.endsWith(`.${z}`)) return true;
  return false;
}

/** Builds the default matcher: fixed internal ranges and names plus the given internal zones. */
export function internalMatcher(zones: readonly string[] = []): InternalMatcher {
  const z = normaliseZones(zones);
  return { ip: isInternalIp, host: (name) => isInternalHost(name, z) };
}

const IPV4_RE = /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.]*\w)/g;
const IPV6_RE =
  /(?<![\w:.])((?:ipv6:)?[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,8}(?:%[\w.]+)?(?:\d{1,3}(?:\.\d{1,3}){3})?)(?![\w:.])/gi;

/** Every IPv4/IPv6 literal in a text, in order, deduplicated. */
export function extractIps(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(IPV4_RE)) if (parseIp(m[1]!)) out.add(m[1]!);
  if (text.includes(':')) {
    for (const m of text.matchAll(IPV6_RE)) {
      const raw = m[1]!.replace(/^ipv6:/i, '');
      if (raw.includes('::') || raw.split(':').length >= 3)
        if (parseIp(raw) && raw.includes(':')) out.add(raw);
    }
  }
  return [...out];
}
