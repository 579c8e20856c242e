import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLabCa, type LabCa } from '../lab/ca.js';
import {
  certificateEvidence,
  daysToExpiry,
  describeCertificate,
  summarizeCertificate,
} from './certificate.js';
import { findDisclosures } from './disclosure.js';
import { hasForwardSecrecy } from './tls-inspect.js';

let ca: LabCa;
beforeAll(async () => {
  ca = await createLabCa({ now: new Date('2030-01-01T00:00:00Z') });
});

describe('summarizeCertificate', () => {
  it('summarises an EC leaf with DNS and IP names', async () => {
    const cert = await ca.issue({
      names: ['mx1.example.test', 'mx2.example.test', '127.0.0.1'],
      notAfter: new Date('2030-03-01T00:00:00Z'),
    });
    const s = summarizeCertificate(cert.certDer)!;
    expect(s.subject).toBe('CN=mx1.example.test');
    expect(s.issuer).toContain('CN=mailcomply lab root CA');
    expect(s.subjectAltNames).toEqual(['mx1.example.test', 'mx2.example.test', 'IP Address:127.0.0.1']);
    expect(s.validTo).toBe('2030-03-01T00:00:00.000Z');
    expect(s.keyType).toBe('ec');
    expect(s.keyBits).toBe(256);
    expect(s.selfSigned).toBe(false);
    expect(s.der).toBe(cert.certDer.toString('base64'));
    expect(s.fingerprint256).toBe(new X509Certificate(cert.certDer).fingerprint256);
    expect(daysToExpiry(s, new Date('2030-01-01T00:00:00Z'))).toBe(59);
    expect(describeCertificate(s)).toContain('EC 256');
    expect(certificateEvidence(s)).not.toHaveProperty('der');
  });

  it('sees RSA key sizes and self-signed certificates', async () => {
    const weak = summarizeCertificate((await ca.issue({ names: ['a.test'], key: 'rsa1024' })).certDer)!;
    expect([weak.keyType, weak.keyBits]).toEqual(['rsa', 1024]);
    const own = summarizeCertificate((await ca.issue({ names: ['a.test'], selfSigned: true })).certDer)!;
    expect(own.selfSigned).toBe(true);
    expect(summarizeCertificate(ca.certDer)!.selfSigned).toBe(true);
  });

  it('returns undefined for bytes that are not a certificate', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(summarizeCertificate(Buffer.from(bytes))).toBeUndefined();
      }),
    );
  });
});

describe('hasForwardSecrecy', () => {
  it('knows which key exchanges are ephemeral', () => {
    expect(hasForwardSecrecy('TLSv1.3', 'TLS_AES_128_GCM_SHA256')).toBe(true);
    expect(hasForwardSecrecy('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256')).toBe(true);
    expect(hasForwardSecrecy('TLSv1.2', 'DHE-RSA-AES256-SHA256')).toBe(true);
    expect(hasForwardSecrecy('TLSv1.2', 'AES128-GCM-SHA256', {})).toBe(false);
    expect(hasForwardSecrecy('TLSv1.2', 'ADH-AES128-SHA', { type: 'DH' })).toBe(false);
  });
});

describe('findDisclosures', () => {
  it.each([
    ['mx.example.org ESMTP Postfix (Debian/GNU)', ['Postfix', 'Debian']],
    ['mx.example.org ESMTP Exim 4.96 Mon, 01 Jan 2024 10:00:00 +0000', ['Exim 4.96']],
    [
      'mail.example.org Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697 ready',
      ['Microsoft Exchange 10.0.17763.1697'],
    ],
    ['mx.example.org ESMTP Sendmail 8.15.2/8.15.2; Mon, 1 Jan 2024', ['Sendmail 8.15.2/8.15.2']],
    ['mx.example.org ESMTP OpenSMTPD', ['OpenSMTPD']],
  ])('finds the software in %s', (text, expected) => {
    expect(findDisclosures([text]).map((d) => (d.version ? `${d.product} ${d.version}` : d.product))).toEqual(
      expected,
    );
  });

  it.each([
    'mx.example.org ESMTP',
    'mx.example.org ESMTP ready',
    'mx.google.com ESMTP a1si123 - gsmtp',
    'mail.example.org',
  ])('finds nothing in %s', (text) => {
    expect(findDisclosures([text])).toEqual([]);
  });

  it('keeps one entry per product across banner and greeting', () => {
    const found = findDisclosures(['mx ESMTP Exim', 'mx Hello probe, Exim 4.97 here']);
    expect(found).toEqual([{ product: 'Exim', version: '4.97', text: 'mx ESMTP Exim' }]);
  });
});
