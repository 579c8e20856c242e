import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import type { TlsaData } from '../../dns/types.js';
import { createLabCa } from '../../lab/ca.js';
import { summarizeCertificate } from '../../smtp/certificate.js';
import type { PeerCertificate } from '../../smtp/types.js';
import { daneFindings } from './findings.js';
import { tlsaFromCertificate, type TlsaLookup } from './tlsa.js';

const MX = 'mx.example.test';
const NAME = `_25._tcp.${MX}`;

let chain: Buffer[];
let probe: PeerCertificate[];
let otherLeaf: Buffer;
let ee: TlsaData;
let ta: TlsaData;

beforeAll(async () => {
  const ca = await createLabCa();
  const issued = await ca.issue({ names: [MX], viaIntermediate: true });
  chain = [...issued.chainPem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => Buffer.from(new X509Certificate(m[0]).raw),
  );
  probe = chain.map((d) => summarizeCertificate(d)!);
  otherLeaf = (await ca.issue({ names: [MX] })).certDer;
  ee = tlsaFromCertificate(chain[0]!, 3, 1, 1);
  ta = tlsaFromCertificate(chain[1]!, 2, 1, 1);
});

function lookup(
  records: TlsaData[],
  ad: boolean,
  rcode = records.length > 0 ? 'NOERROR' : 'NXDOMAIN',
): TlsaLookup {
  return { name: NAME, rcode, ad, records, cnames: [] };
}

function byId(findings: Finding[]): Record<string, Finding> {
  return Object.fromEntries(findings.map((f) => [f.id, f]));
}

describe('daneFindings', () => {
  it('passes authenticated, matching, rollover-safe records', () => {
    const f = daneFindings(MX, lookup([ee, ta], true), probe, true);
    expect(f.map((x) => `${x.id}=${x.status}`)).toEqual([
      'dane.tlsa=pass',
      'dane.unsigned=pass',
      'dane.usage=pass',
      'dane.parameters=pass',
      'dane.match=pass',
      'dane.rollover=pass',
    ]);
    for (const x of f) expect(x.controls).toEqual(['transport.dane']);
    expect(byId(f)['dane.rollover']!.detail).toMatch(/3 1 1 \+ 2 1 1/);
    expect(byId(f)['dane.match']!.detail).toMatch(/DANE-EE\(3\) 3 1 1/);
  });

  it('fails critically when the served certificate matches no record', () => {
    const stale = tlsaFromCertificate(otherLeaf, 3, 1, 1);
    const f = byId(daneFindings(MX, lookup([stale], true), probe, true));
    expect(f['dane.match']).toMatchObject({ status: 'fail', severity: 'critical' });
    expect(f['dane.match']!.detail).toMatch(/refuse to deliver/);
    // The remediation is the exact record set for the certificate actually served.
    expect(f['dane.match']!.remediation).toContain(`${NAME}. IN TLSA 3 1 1 ${ee.data}`);
    expect(f['dane.match']!.remediation).toContain(`${NAME}. IN TLSA 2 1 1 ${ta.data}`);
    expect(f['dane.rollover']).toMatchObject({ status: 'warn', severity: 'low' });
  });

  it('fails unsigned records: senders ignore them', () => {
    const f = byId(daneFindings(MX, lookup([ee], false), probe, false));
    expect(f['dane.tlsa']!.status).toBe('info');
    expect(f['dane.unsigned']).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(f['dane.match']!.status).toBe('pass');
    const mismatch = byId(
      daneFindings(MX, lookup([tlsaFromCertificate(otherLeaf, 3, 1, 1)], false), probe, false),
    );
    expect(mismatch['dane.match']).toMatchObject({ status: 'fail', severity: 'medium' });
  });

  it('tells an authenticated absence from an insecure one', () => {
    const denied = daneFindings(MX, lookup([], true), probe, true);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ id: 'dane.tlsa', status: 'warn', severity: 'low' });
    expect(denied[0]!.title).toMatch(/No DANE/);
    expect(denied[0]!.remediation).toContain(`${NAME}. IN TLSA 3 1 1 ${ee.data}`);

    const insecure = daneFindings(MX, lookup([], false), probe, false);
    expect(insecure[0]).toMatchObject({ id: 'dane.tlsa', status: 'info' });
    expect(insecure[0]!.title).toMatch(/Insecure: DANE is impossible .* without DNSSEC/);
    expect(insecure[0]!.detail).toMatch(/zone is not DNSSEC-signed/);

    const providerZone = daneFindings(MX, lookup([], false, 'NOERROR'), undefined, true);
    expect(providerZone[0]!.detail).toMatch(/this MX host's zone is not/);
    expect(providerZone[0]!.remediation).toMatch(/openssl x509/);
  });

  it('reports a failed lookup as an error, worse in a signed zone', () => {
    const failed: TlsaLookup = { ...lookup([], false, 'SERVFAIL'), error: 'resolver answered SERVFAIL' };
    const signed = daneFindings(MX, failed, probe, true);
    expect(signed).toHaveLength(1);
    expect(signed[0]).toMatchObject({ id: 'dane.tlsa', status: 'error', severity: 'high' });
    expect(signed[0]!.detail).toMatch(/defer/);
    expect(daneFindings(MX, failed, probe, false)[0]!.severity).toBe('medium');
  });

  it('flags PKIX usages as unusable for SMTP', () => {
    const pkix = tlsaFromCertificate(chain[0]!, 1, 1, 1);
    const only = byId(daneFindings(MX, lookup([pkix], true), probe, true));
    expect(only['dane.usage']).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(only['dane.match']).toBeUndefined();
    expect(only['dane.rollover']).toBeUndefined();
    const mixed = byId(daneFindings(MX, lookup([pkix, ee], true), probe, true));
    expect(mixed['dane.usage']).toMatchObject({ status: 'warn', severity: 'low' });
    expect(mixed['dane.match']!.status).toBe('pass');
  });

  it('flags undefined selectors, matching types and bad lengths', () => {
    const bad: TlsaData[] = [
      { ...ee, selector: 7 },
      { ...ee, matchingType: 9 },
      { ...ee, data: ee.data.slice(2) },
    ];
    const f = byId(daneFindings(MX, lookup([...bad, ee], true), probe, true));
    expect(f['dane.parameters']).toMatchObject({ status: 'fail' });
    expect(f['dane.parameters']!.detail).toMatch(/selector 7.*matching type 9.*needs 32 bytes/);
    expect(f['dane.match']!.status).toBe('pass');
  });

  it('cannot verify the match without a certificate chain', () => {
    const f = byId(daneFindings(MX, lookup([ee, ta], true), undefined, true));
    expect(f['dane.match']).toMatchObject({ status: 'error' });
    expect(byId(daneFindings(MX, lookup([ee], true), [], true))['dane.match']!.status).toBe('error');
  });

  it('keeps the records and the per-record verdicts as evidence', () => {
    const f = byId(daneFindings(MX, lookup([ee, ta], true), probe, true));
    const ev = f['dane.match']!.evidence as {
      lookup: { records: string[]; ad: boolean };
      matches: unknown[];
    };
    expect(ev.lookup.records).toEqual([`3 1 1 ${ee.data}`, `2 1 1 ${ta.data}`]);
    expect(ev.lookup.ad).toBe(true);
    expect(ev.matches).toHaveLength(2);
  });

  it('checks a DANE-TA chain against the MX name and, when given, the date', () => {
    const f = byId(daneFindings('other.example.test', lookup([ta], true), probe, true));
    expect(f['dane.match']!.status).toBe('fail');
    expect(f['dane.match']!.detail).toMatch(/not valid for other\.example\.test/);
    const later = byId(daneFindings(MX, lookup([ta], true), probe, true, { now: new Date('2100-01-01') }));
    expect(later['dane.match']!.detail).toMatch(/expired or not yet valid/);
  });
});
