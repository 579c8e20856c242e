/**
 * IPv6 text in the plain hex form (hex groups and at most one `::`, no embedded IPv4) parsed straight
 * from log bytes, and RFC 5952 text made from the groups: the common case of the anonymiser's
 * truncation without a string, a parse by ipaddr.js or a cache lookup. Anything else (embedded
 * IPv4, malformed text) is left to ipaddr.js by returning false, so both paths accept the same inputs.
 */
export function parseIpv6Hex(b: Buffer, s: number, e: number, groups: Uint16Array): boolean {
  let n = 0;
  let gap = -1;
  let i = s;
  if (b[i] === 0x3a) {
    if (b[i + 1] !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === e) {
      groups.fill(0);
      return true;
    }
  }
  for (;;) {
    let v = 0;
    const start = i;
    while (i < e && i - start < 5) {
      const d = hexValue(b[i]!);
      if (d < 0) break;
      v = (v << 4) | d;
      i++;
    }
    if (i === start || i - start > 4 || n === 8) return false;
    groups[n++] = v;
    if (i === e) break;
    if (b[i] !== 0x3a) return false;
    i++;
    if (b[i] === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === e) break;
    } else if (i === e) return false;
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Move the groups after the gap to the end and zero the gap.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** Keeps the first `prefix` bits of the address. */
export function maskIpv6(groups: Uint16Array, prefix: number): void {
  for (let k = 0; k < 8; k++) {
    const keep = Math.max(0, Math.min(16, prefix - k * 16));
    groups[k] = groups[k]! & ((0xffff << (16 - keep)) & 0xffff);
  }
}

/** RFC 5952 text: lower-case hex without leading zeros, the first longest run of 2+ zero groups as `::`. */
export function formatIpv6(groups: Uint16Array): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8;) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && groups[j] === 0) j++;
    if (j - k > bestLen) {
      bestAt = k;
      bestLen = j - k;
    }
    k = j;
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestAt) {
      out += '::';
      k += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += groups[k]!.toString(16);
  }
  return out;
}
