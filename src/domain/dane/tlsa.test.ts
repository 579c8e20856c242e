import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import type { DnsRecord } from '../../dns/types.js';
import { createLabCa, type IssuedCert } from '../../lab/ca.js';
import { lookupTlsa, tlsaFromCertificate, tlsaName, tlsaRecordText } from './tlsa.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const DANETEST = resolve(ROOT, '../shared/corpora/conformance-dane-tlsa-openssl/test/danetest.in');

describe('tlsaFromCertificate', () => {
  // danetest.in's header lists, per certificate, the full DER (x 0 0) and every other parameter set.
  describe.skipIf(!existsSync(DANETEST))('against the OpenSSL vectors', () => {
    const header = existsSync(DANETEST) ? readFileSync(DANETEST, 'utf8').split('# Renumber')[0]! : '';
    const groups = header.split(/^# --\s*$/m).map((g) =>
      [...g.matchAll(/^# ([23]) ([01]) ([012]) ([0-9A-F]+)$/gm)].map((m) => ({
        usage: Number(m[1]),
        selector: Number(m[2]),
        matchingType: Number(m[3]),
        data: m[4]!.toLowerCase(),
      })),
    );

    it('finds three certificates with six vectors each', () => {
      expect(groups.filter((g) => g.length === 6)).toHaveLength(3);
    });

    it('computes every vector from the certificate', () => {
      for (const g of groups.filter((x) => x.length === 6)) {
        const der = Buffer.from(g.find((v) => v.selector === 0 && v.matchingType === 0)!.data, 'hex');
        for (const v of g) expect(tlsaFromCertificate(der, v.usage, v.selector, v.matchingType)).toEqual(v);
      }
    });
  });

  describe('against the openssl command', () => {
    let cert: IssuedCert;
    beforeAll(async () => {
      cert = await (await createLabCa()).issue({ names: ['mx.example.test'], key: 'rsa2048' });
    });

    it.skipIf(!HAS_OPENSSL)('gives the SHA-256 of the SubjectPublicKeyInfo that openssl gives', () => {
      const spki = execFileSync('openssl', ['x509', '-noout', '-pubkey'], { input: cert.certPem });
      const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: spki });
      const expected = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der })
        .toString()
        .split(' ')[0];
      expect(tlsaFromCertificate(cert.certDer, 3, 1, 1).data).toBe(expected);
    });

    it('gives the certificate fingerprint for 3 0 1', () => {
      const fp = new X509Certificate(cert.certDer).fingerprint256.replace(/:/g, '').toLowerCase();
      expect(tlsaFromCertificate(cert.certDer, 3, 0, 1).data).toBe(fp);
    });
  });

  it('rejects undefined parameters and non-certificates', () => {
    const der = Buffer.from('30030201', 'hex');
    expect(() => tlsaFromCertificate(der, 3, 1, 1)).toThrow();
  });
});

describe('tlsaRecordText and tlsaName', () => {
  it('formats a zone-file line', () => {
    expect(tlsaName('MX.Example.org.')).toBe('_25._tcp.mx.example.org');
    expect(
      tlsaRecordText('_25._tcp.mx.example.org', { usage: 3, selector: 1, matchingType: 1, data: 'ab' }),
    ).toBe('_25._tcp.mx.example.org. IN TLSA 3 1 1 ab');
  });
});

describe('lookupTlsa', () => {
  const tlsa = (name: string, data: string): DnsRecord => ({
    name,
    type: 'TLSA',
    ttl: 300,
    data: { usage: 3, selector: 1, matchingType: 1, data },
  });
  const resolver = new MemoryResolver({
    records: [
      tlsa('_25._tcp.mx.signed.test', 'AB'.repeat(32)),
      tlsa('_25._tcp.mx.plain.test', 'cd'.repeat(32)),
      { name: 'mx.signed.test', type: 'A', ttl: 300, data: '192.0.2.1' },
      { name: '_25._tcp.alias.signed.test', type: 'CNAME', ttl: 300, data: '_25._tcp.mx.signed.test' },
    ],
    signedZones: ['signed.test'],
    failures: { '_25._tcp.mx.broken.test': 'servfail', '_25._tcp.mx.slow.test': 'timeout' },
  });

  it('returns authenticated records, lower-cased', async () => {
    const r = await lookupTlsa('mx.signed.test', resolver);
    expect(r).toMatchObject({ name: '_25._tcp.mx.signed.test', rcode: 'NOERROR', ad: true, cnames: [] });
    expect(r.records).toEqual([{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }]);
    expect(r.error).toBeUndefined();
  });

  it('reports the AD bit of unsigned answers and of denials', async () => {
    expect(await lookupTlsa('mx.plain.test', resolver)).toMatchObject({
      ad: false,
      records: [{ data: 'cd'.repeat(32) }],
    });
    expect(await lookupTlsa('other.signed.test', resolver)).toMatchObject({
      rcode: 'NXDOMAIN',
      ad: true,
      records: [],
    });
    expect(await lookupTlsa('mx.plain-nx.test', resolver)).toMatchObject({ rcode: 'NXDOMAIN', ad: false });
  });

  it('follows a CNAME and records it', async () => {
    const r = await lookupTlsa('alias.signed.test', resolver);
    expect(r.cnames).toEqual(['_25._tcp.alias.signed.test']);
    expect(r.records).toHaveLength(1);
  });

  it('turns resolver failures into an error, never into "no records"', async () => {
    expect((await lookupTlsa('mx.broken.test', resolver)).error).toMatch(/SERVFAIL/);
    expect((await lookupTlsa('mx.slow.test', resolver)).error).toMatch(/E_DNS_TIMEOUT/);
  });
});
