import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { dottedIp, formatIp, inCidr, parseClientIp, parseIpv4, parseIpv6, reverseName } from './ip.js';
import { cidrRange, mergeRanges, rangeToCidrs, summariseIpv4 } from './ipv4-set.js';

describe('IP parsing', () => {
  it('parses IPv4 strictly', () => {
    expect(parseIpv4('192.0.2.1')).toEqual([192, 0, 2, 1]);
    for (const bad of ['1.2.3', '1.2.03.4', '256.1.1.1', '0x1.2.3.4', '1.2.3.4 ', '1.2.3.4\n']) {
      expect(parseIpv4(bad), bad).toBeUndefined();
    }
  });

  it('parses IPv6 text forms, keeping embedded IPv4 unmapped', () => {
    expect(parseIpv6('::1.1.1.1')).toEqual([...new Array(12).fill(0), 1, 1, 1, 1]);
    expect(parseIpv6('2001:db8::1')?.slice(0, 4)).toEqual([0x20, 0x01, 0x0d, 0xb8]);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toHaveLength(16);
    for (const bad of [
      ':CAFE::BABE',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      'fe80::1%eth0',
      '12345::',
      '::1.2.3.04',
    ]) {
      expect(parseIpv6(bad), bad).toBeUndefined();
    }
  });

  it('agrees with ipaddr.js on every address it formats', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), (bytes) => {
        const text = ipaddr.fromByteArray(bytes).toString();
        expect(parseIpv6(text)).toEqual(bytes);
        expect(parseIpv6(ipaddr.fromByteArray(bytes).toNormalizedString())).toEqual(bytes);
      }),
    );
  });

  it('treats IPv4-mapped client addresses as IPv4', () => {
    expect(parseClientIp('::FFFF:1.2.3.4')).toEqual({ family: 4, bytes: [1, 2, 3, 4] });
    expect(parseClientIp('CAFE:BABE::1')?.family).toBe(6);
    expect(parseClientIp('not an ip')).toBeUndefined();
  });

  it('formats the i, c and reverse forms', () => {
    const v6 = parseClientIp('2001:db8::cb01');
    const v4 = parseClientIp('192.0.2.3');
    if (!v6 || !v4) throw new Error('parse');
    expect(formatIp(v6)).toBe('2001:db8::cb01');
    expect(dottedIp(v4)).toBe('192.0.2.3');
    expect(dottedIp(v6)).toBe('2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1');
    expect(reverseName(v4)).toBe('3.2.0.192.in-addr.arpa');
    expect(reverseName(v6)).toBe('1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  });

  it('matches prefixes bit by bit', () => {
    const ip = { family: 4 as const, bytes: [192, 0, 2, 130] };
    expect(inCidr(ip, [192, 0, 2, 0], 24)).toBe(true);
    expect(inCidr(ip, [192, 0, 2, 0], 25)).toBe(false);
    expect(inCidr(ip, [192, 0, 2, 128], 25)).toBe(true);
    expect(inCidr(ip, [10, 0, 0, 0], 0)).toBe(true);
    expect(inCidr(ip, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0)).toBe(false);
  });
});

describe('IPv4 union', () => {
  it('merges overlapping and adjacent networks', () => {
    const s = summariseIpv4([
      { address: '10.0.0.0', bits: 8 },
      { address: '10.1.2.3', bits: 32 },
      { address: '192.0.2.0', bits: 25 },
      { address: '192.0.2.128', bits: 25 },
      { address: '198.51.100.7', bits: 24 },
    ]);
    expect(s.networks).toEqual(['10.0.0.0/8', '192.0.2.0/24', '198.51.100.0/24']);
    expect(s.addressCount).toBe(2 ** 24 + 256 + 256);
  });

  it('handles the whole space and unaligned ranges', () => {
    expect(summariseIpv4([{ address: '1.2.3.4', bits: 0 }])).toEqual({
      networks: ['0.0.0.0/0'],
      addressCount: 2 ** 32,
    });
    expect(rangeToCidrs({ start: 1, end: 6 })).toEqual([
      '0.0.0.1/32',
      '0.0.0.2/31',
      '0.0.0.4/31',
      '0.0.0.6/32',
    ]);
    expect(cidrRange('255.255.255.255', 32)).toEqual({ start: 2 ** 32 - 1, end: 2 ** 32 - 1 });
  });

  it('counts exactly what a brute-force union counts', () => {
    const net = fc.record({ last: fc.integer({ min: 0, max: 255 }), bits: fc.integer({ min: 24, max: 32 }) });
    fc.assert(
      fc.property(fc.array(net, { maxLength: 12 }), (nets) => {
        const covered = new Set<number>();
        for (const n of nets) {
          const r = cidrRange(`192.0.2.${n.last}`, n.bits);
          for (let i = r.start; i <= r.end; i++) covered.add(i);
        }
        const s = summariseIpv4(nets.map((n) => ({ address: `192.0.2.${n.last}`, bits: n.bits })));
        expect(s.addressCount).toBe(covered.size);
        const recount = mergeRanges(
          s.networks.map((c) => cidrRange(c.split('/')[0] ?? '', Number(c.split('/')[1]))),
        );
        expect(recount.reduce((sum, r) => sum + r.end - r.start + 1, 0)).toBe(covered.size);
      }),
    );
  });
});
