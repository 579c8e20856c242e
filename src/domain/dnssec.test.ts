import { describe, expect, it } from 'vitest';
import { only, rr, zoneContext } from '../../test/unit/support/domain-context.js';
import { dnssecCheck } from './dnssec.js';
import { mxCheck } from './mx.js';

const D = 'example.org';
const zone = [
  rr.mx(D, 10, 'mx1.example.org'),
  rr.mx(D, 20, 'mx.provider.example'),
  rr.a('mx1.example.org', '192.0.2.10'),
  rr.a('mx.provider.example', '192.0.2.99'),
];

describe('dnssecCheck', () => {
  it('passes a signed domain whose MX hosts are signed, with the trust caveat', async () => {
    const { ctx } = zoneContext(D, zone, { signed: [D, 'provider.example'] });
    const f = await dnssecCheck(ctx);
    for (const id of ['dnssec.domain', 'dnssec.mx']) {
      const x = only(f, id);
      expect(x.status).toBe('pass');
      expect(x.detail).toContain('validating');
      expect(x.detail).toContain('trusted');
    }
  });

  it('warns about an unsigned domain and says DANE is impossible', async () => {
    const { ctx } = zoneContext(D, zone, { signed: ['provider.example'] });
    const f = await dnssecCheck(ctx);
    const d = only(f, 'dnssec.domain');
    expect(d).toMatchObject({ status: 'warn', severity: 'medium' });
    expect(d.detail).toContain('DANE');
    expect(d.detail).toContain('validating');
    expect(d.remediation).toContain('example.org. 3600 IN DS');
    const mx = only(f, 'dnssec.mx');
    expect(mx.status).toBe('warn');
    expect(mx.detail).toContain('mx1.example.org');
    expect(mx.detail).not.toContain('mx.provider.example were');
  });

  it('warns when a signed domain uses MX hosts in an unsigned zone', async () => {
    const { ctx } = zoneContext(D, zone, { signed: [D] });
    const f = await dnssecCheck(ctx);
    expect(only(f, 'dnssec.domain').status).toBe('pass');
    const mx = only(f, 'dnssec.mx');
    expect(mx.status).toBe('warn');
    expect(mx.detail).toContain('mx.provider.example');
  });

  it('reuses the MX lookup of the same scan instead of querying again', async () => {
    const { ctx, resolver } = zoneContext(D, zone, { signed: [D] });
    await mxCheck(ctx);
    const before = resolver.log.length;
    await dnssecCheck(ctx);
    expect(resolver.log.length).toBe(before);
  });

  it('reports a failed MX lookup as an error', async () => {
    const { ctx } = zoneContext(D, zone, { signed: [D], failures: { [D]: 'servfail' } });
    const f = await dnssecCheck(ctx);
    expect(f).toHaveLength(1);
    expect(only(f, 'dnssec.domain').status).toBe('error');
  });

  it('reports failed host lookups as an error for dnssec.mx', async () => {
    const { ctx } = zoneContext(D, [rr.mx(D, 10, 'mx1.example.org')], {
      signed: [D],
      failures: { 'mx1.example.org': 'timeout' },
    });
    const mx = only(await dnssecCheck(ctx), 'dnssec.mx');
    expect(mx.status).toBe('error');
    expect(mx.detail).toContain('Lookups failed for mx1.example.org');
  });

  it('has no dnssec.mx finding for a null MX', async () => {
    const { ctx } = zoneContext(D, [rr.mx(D, 0, '.')], { signed: [D] });
    const f = await dnssecCheck(ctx);
    expect(f.map((x) => x.id)).toEqual(['dnssec.domain']);
  });
});
