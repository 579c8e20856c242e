import ipaddr from 'ipaddr.js';

/** An address as bytes (4 for IPv4, 16 for IPv6): the form every SPF comparison works on. */
export interface SpfIp {
  family: 4 | 6;
  bytes: readonly number[];
}

// RFC 7208 §5.6: qnum forbids leading zeros, so "1.2.03.4" is not an ip4-network.
const QNUM = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4_RE = new RegExp(`^${QNUM}(?:\\.${QNUM}){3}$`);
const HEX_GROUP_RE = /^[0-9A-Fa-f]{1,4}$/;

/** Parses a dotted quad strictly (no leading zeros, no short or hex forms). */
export function parseIpv4(text: string): number[] | undefined {
  if (!IPV4_RE.test(text)) return undefined;
  return text.split('.').map(Number);
}

function parseGroups(part: string): number[] | undefined {
  if (part === '') return [];
  const groups: number[] = [];
  for (const g of part.split(':')) {
    if (!HEX_GROUP_RE.test(g)) return undefined;
    groups.push(parseInt(g, 16));
  }
  return groups;
}

/**
 * Parses RFC 4291 text strictly. Written here because ipaddr.js reads "::1.2.3.4" as an
 * IPv4-mapped address and accepts zone ids, both wrong for an SPF ip6-network.
 */
export function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (!v4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0] ?? '');
    const rest = parseGroups(halves[1] ?? '');
    if (!head || !rest || head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * Parses the connecting client's address. IPv4-mapped IPv6 addresses become IPv4, as RFC 7208
 * §5 requires ("::FFFF:1.2.3.4" only matches ip4 mechanisms).
 */
export function parseClientIp(text: string): SpfIp | undefined {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (!v6) return undefined;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 };
}

/** Parses an address record value (A or AAAA data) into the given family, or undefined. */
export function parseRecordAddress(text: string, family: 4 | 6): SpfIp | undefined {
  const bytes = family === 4 ? parseIpv4(text) : parseIpv6(text);
  return bytes ? { family, bytes } : undefined;
}

/** True when the first `bits` bits of `ip` equal those of `network` (same family). */
export function inCidr(ip: SpfIp, network: readonly number[], bits: number): boolean {
  if (ip.bytes.length !== network.length) return false;
  let left = bits;
  for (let i = 0; i < network.length && left > 0; i++) {
    const take = Math.min(8, left);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((ip.bytes[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
    left -= take;
  }
  return true;
}

/** Human form used by the `c` macro: dotted quad, or RFC 5952 text for IPv6. */
export function formatIp(ip: SpfIp): string {
  return ipaddr.fromByteArray([...ip.bytes]).toString();
}

function nibbles(ip: SpfIp): string[] {
  return ip.bytes.flatMap((b) => [(b >> 4).toString(16), (b & 0xf).toString(16)]);
}

/**
 * The `i` macro: dotted quad, or 32 dot-separated nibbles for IPv6. Nibbles are upper case, as in
 * the reference implementation the RFC 7208 test suite was written against; DNS ignores case.
 */
export function dottedIp(ip: SpfIp): string {
  if (ip.family === 4) return ip.bytes.join('.');
  return nibbles(ip).join('.').toUpperCase();
}

/** The reverse-mapping name queried for PTR records. */
export function reverseName(ip: SpfIp): string {
  if (ip.family === 4) return `${[...ip.bytes].reverse().join('.')}.in-addr.arpa`;
  return `${nibbles(ip).reverse().join('.')}.ip6.arpa`;
}
