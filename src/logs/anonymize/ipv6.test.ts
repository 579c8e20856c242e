import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { formatIpv6, maskIpv6, parseIpv6Hex } from './ipv6.js';

/** The fast path's answer: truncated RFC 5952 text, or undefined when it leaves the text to ipaddr.js. */
function fast(text: string, prefix: number): string | undefined {
  const b = Buffer.from(`[${text}]`, 'latin1');
  const g = new Uint16Array(8);
  if (!parseIpv6Hex(b, 1, b.length - 1, g)) return undefined;
  maskIpv6(g, prefix);
  return formatIpv6(g);
}

/** What ipaddr.js makes of the same text, as the anonymiser did before the fast path. */
function reference(text: string, prefix: number): string | null {
  if (!ipaddr.IPv6.isValid(text)) return null;
  const bytes = ipaddr.IPv6.parse(text).toByteArray();
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes).toString();
}

const group = fc.integer({ min: 0, max: 0xffff });
/** Valid addresses written every way RFC 4291 allows: any case, leading zeros, `::` anywhere. */
const written = fc
  .tuple(
    fc.array(fc.oneof(group, fc.constant(0)), { minLength: 8, maxLength: 8 }),
    fc.integer({ min: -1, max: 7 }),
    fc.integer({ min: 1, max: 8 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([groups, at, len, upper, pad]) => {
    const hex = groups.map((v) => {
      const h = v.toString(16);
      const t = pad ? h.padStart(4, '0') : h;
      return upper ? t.toUpperCase() : t;
    });
    if (at < 0) return hex.join(':');
    const end = Math.min(8, at + len);
    return `${hex.slice(0, at).join(':')}::${hex.slice(end).join(':')}`;
  });
const junk = fc.stringMatching(/^[0-9a-fA-F:]{1,45}$/);

describe('IPv6 fast path', () => {
  it('agrees with ipaddr.js on every valid address and prefix', () => {
    fc.assert(
      fc.property(written, fc.integer({ min: 0, max: 128 }), (text, prefix) => {
        expect(fast(text, prefix)).toBe(reference(text, prefix));
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts what ipaddr.js rejects, and leaves forms it does not handle to ipaddr.js', () => {
    fc.assert(
      fc.property(junk, fc.integer({ min: 0, max: 128 }), (text, prefix) => {
        const f = fast(text, prefix);
        if (f !== undefined) expect(f).toBe(reference(text, prefix));
      }),
      { numRuns: 5000 },
    );
    expect(fast('::ffff:192.0.2.1', 48)).toBeUndefined();
    expect(fast('1::2::3', 48)).toBeUndefined();
    expect(fast('1:2:3:4::5:6:7:8', 48)).toBeUndefined();
    expect(fast('12345::', 48)).toBeUndefined();
  });

  it('formats like RFC 5952', () => {
    expect(fast('2001:DB8:0:0:1:0:0:1', 128)).toBe('2001:db8::1:0:0:1');
    expect(fast('1:2:3:4:5:6:7:0', 128)).toBe('1:2:3:4:5:6:7:0');
    expect(fast('::', 48)).toBe('::');
    expect(fast('2001:db8:abcd:12::7', 48)).toBe('2001:db8:abcd::');
  });
});
