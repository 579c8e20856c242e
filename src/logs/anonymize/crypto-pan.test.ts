import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { CryptoPan } from './crypto-pan.js';

// The key and sample trace of the original Crypto-PAn distribution (sample_trace_raw.dat /
// sample_trace_sanitized.dat), as also used by the Go and Python ports' tests.
const KEY = Buffer.from([
  21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121, 121, 101, 39,
  98, 87, 76, 45, 42, 132, 34, 2,
]);
const V4: [string, string][] = [
  ['128.11.68.132', '135.242.180.132'],
  ['129.118.74.4', '134.136.186.123'],
  ['130.132.252.244', '133.68.164.234'],
  ['141.223.7.43', '141.167.8.160'],
  ['141.233.145.108', '141.129.237.235'],
  ['152.163.225.39', '151.140.114.167'],
  ['156.29.3.236', '147.225.12.42'],
  ['165.247.96.84', '162.9.99.234'],
  ['166.107.77.190', '160.132.178.185'],
  ['192.102.249.13', '252.138.62.131'],
  ['192.215.32.125', '252.43.47.189'],
  ['192.233.80.103', '252.25.108.8'],
  ['192.41.57.43', '252.222.221.184'],
  ['193.150.244.223', '253.169.52.216'],
  ['195.205.63.100', '255.186.223.5'],
  ['198.200.171.101', '249.199.68.213'],
  ['24.0.250.221', '100.15.198.226'],
  ['38.15.67.68', '64.3.66.187'],
  ['4.3.88.225', '124.60.155.63'],
  ['63.14.55.111', '95.9.215.7'],
  ['64.14.118.196', '0.255.183.58'],
  ['64.34.154.117', '0.221.154.117'],
  ['10.185.25.118', '117.161.29.118'],
];
// IPv6 with the same construction over 128 bits (values from the Go port, github.com/Yawning/cryptopan).
const V6: [string, string][] = [
  ['::1', '78ff:f001:9fc0:20df:8380:b1f1:704:ed'],
  ['::2', '78ff:f001:9fc0:20df:8380:b1f1:704:ef'],
  ['::ffff', '78ff:f001:9fc0:20df:8380:b1f1:704:f838'],
  ['2001:db8::1', '4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e'],
  ['2001:db8::2', '4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c'],
];

const cpan = new CryptoPan(KEY);
const anon = (ip: string): string =>
  ipaddr.fromByteArray([...cpan.anonymize(Buffer.from(ipaddr.parse(ip).toByteArray()))]).toString();

describe('CryptoPan', () => {
  it.each(V4)('maps %s to %s like the reference implementation', (from, to) => {
    expect(anon(from)).toBe(to);
  });

  it.each(V6)('maps IPv6 %s to %s like the Go port', (from, to) => {
    expect(anon(from)).toBe(to);
  });

  it('preserves exactly the common prefix length (IPv4)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (a, b) => {
          const ba = Buffer.alloc(4);
          const bb = Buffer.alloc(4);
          ba.writeUInt32BE(a);
          bb.writeUInt32BE(b);
          const common = (x: number, y: number): number => (x === y ? 32 : Math.clz32((x ^ y) >>> 0));
          const ra = cpan.anonymize(ba).readUInt32BE(0);
          const rb = cpan.anonymize(bb).readUInt32BE(0);
          expect(common(ra, rb)).toBe(common(a >>> 0, b >>> 0));
        },
      ),
    );
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new CryptoPan(Buffer.alloc(16))).toThrow(RangeError);
  });
});
