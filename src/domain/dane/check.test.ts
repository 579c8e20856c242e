import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import { createLabCa } from '../../lab/ca.js';
import { summarizeCertificate } from '../../smtp/certificate.js';
import { checkDane } from './check.js';
import { tlsaFromCertificate } from './tlsa.js';

describe('checkDane', () => {
  it('looks up the TLSA records and matches them against the probe chain', async () => {
    const cert = await (await createLabCa()).issue({ names: ['mx.signed.test'] });
    const chain = [summarizeCertificate(Buffer.from(new X509Certificate(cert.certPem).raw))!];
    const good = tlsaFromCertificate(cert.certDer, 3, 1, 1);
    const resolver = new MemoryResolver({
      records: [{ name: '_25._tcp.mx.signed.test', type: 'TLSA', ttl: 300, data: good }],
      signedZones: ['signed.test'],
      failures: { '_25._tcp.mx.broken.test': 'servfail' },
    });
    const ok = await checkDane('mx.signed.test', { resolver, chain, zoneSigned: true });
    expect(ok.find((f) => f.id === 'dane.match')?.status).toBe('pass');
    expect(ok.find((f) => f.id === 'dane.rollover')?.status).toBe('warn');
    expect(resolver.log).toEqual([{ name: '_25._tcp.mx.signed.test', type: 'TLSA' }]);

    const none = await checkDane('mx.unsigned.test', { resolver, zoneSigned: false });
    expect(none.map((f) => `${f.id}=${f.status}`)).toEqual(['dane.tlsa=info']);
    const broken = await checkDane('mx.broken.test', { resolver, zoneSigned: true });
    expect(broken.map((f) => `${f.id}=${f.status}`)).toEqual(['dane.tlsa=error']);
  });
});
