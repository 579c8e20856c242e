import ipaddr from 'ipaddr.js';

/** An inclusive range of IPv4 addresses as integers. */
export interface Ipv4Range {
  start: number;
  end: number;
}

const TOTAL = 2 ** 32;

/** The range covered by `address/bits` (host bits ignored). */
export function cidrRange(address: string, bits: number): Ipv4Range {
  const bytes = ipaddr.IPv4.parse(address).toByteArray();
  const base = bytes.reduce((n, b) => n * 256 + b, 0);
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return { start, end: start + size - 1 };
}

/** Sorts and merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly Ipv4Range[]): Ipv4Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Ipv4Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

function toAddress(n: number): string {
  return ipaddr
    .fromByteArray([
      Math.floor(n / 2 ** 24) % 256,
      Math.floor(n / 2 ** 16) % 256,
      Math.floor(n / 256) % 256,
      n % 256,
    ])
    .toString();
}

/** The fewest CIDR blocks that cover a range exactly. */
export function rangeToCidrs(range: Ipv4Range): string[] {
  const out: string[] = [];
  let start = range.start;
  while (start <= range.end) {
    // Arithmetic instead of bit tricks: JS bitwise operators stop at 31 bits.
    let size = 1;
    while (size < TOTAL && start % (size * 2) === 0 && start + size * 2 - 1 <= range.end) size *= 2;
    out.push(`${toAddress(start)}/${32 - Math.log2(size)}`);
    start += size;
  }
  return out;
}

/** The union of IPv4 networks: merged CIDR blocks and how many addresses they hold. */
export function summariseIpv4(networks: readonly { address: string; bits: number }[]): {
  networks: string[];
  addressCount: number;
} {
  const merged = mergeRanges(networks.map((n) => cidrRange(n.address, n.bits)));
  return {
    networks: merged.flatMap(rangeToCidrs),
    addressCount: merged.reduce((sum, r) => sum + (r.end - r.start + 1), 0),
  };
}
