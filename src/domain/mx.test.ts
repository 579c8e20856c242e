import { describe, expect, it } from 'vitest';
import { MX_MAX_HOSTS_RESOLVED } from '../core/limits.js';
import { only, rr, zoneContext } from '../../test/unit/support/domain-context.js';
import { isIpLiteral, lookupMx, mxCheck } from './mx.js';

const D = 'example.org';
const hosts = [
  rr.a('mx1.example.org', '192.0.2.10'),
  rr.aaaa('mx1.example.org', '2001:db8::10'),
  rr.a('mx2.example.org', '192.0.2.20'),
];

describe('mxCheck', () => {
  it('passes a domain with resolvable MX hosts and notes the backup MX', async () => {
    const { ctx } = zoneContext(D, [
      rr.mx(D, 20, 'mx2.example.org'),
      rr.mx(D, 10, 'mx1.example.org'),
      ...hosts,
    ]);
    const f = await mxCheck(ctx);
    expect(f.map((x) => x.id)).toEqual(['mx.present', 'mx.target', 'mx.resolves', 'mx.priorities']);
    expect(only(f, 'mx.present').status).toBe('pass');
    expect(only(f, 'mx.target').status).toBe('pass');
    expect(only(f, 'mx.resolves').status).toBe('pass');
    const prio = only(f, 'mx.priorities');
    expect(prio.status).toBe('info');
    expect(prio.detail).toContain('mx2.example.org (20)');
    expect(f.every((x) => x.controls.includes('availability.mail-routing') && x.gdpr.length > 0)).toBe(true);
  });

  it('asks one MX query and two address queries per host, nothing more', async () => {
    const { ctx, resolver } = zoneContext(D, [
      rr.mx(D, 10, 'mx1.example.org'),
      rr.mx(D, 20, 'mx2.example.org'),
      ...hosts,
    ]);
    await mxCheck(ctx);
    expect(resolver.log).toHaveLength(5);
  });

  it('finds all-equal priorities fine', async () => {
    const { ctx } = zoneContext(D, [
      rr.mx(D, 10, 'mx1.example.org'),
      rr.mx(D, 10, 'mx2.example.org'),
      ...hosts,
    ]);
    const prio = only(await mxCheck(ctx), 'mx.priorities');
    expect(prio.status).toBe('pass');
    expect(prio.detail).toContain('share preference 10');
  });

  it('warns about duplicate MX targets', async () => {
    const { ctx } = zoneContext(D, [
      rr.mx(D, 10, 'mx1.example.org'),
      rr.mx(D, 20, 'MX1.example.org.'),
      ...hosts,
    ]);
    const prio = only(await mxCheck(ctx), 'mx.priorities');
    expect(prio.status).toBe('warn');
    expect(prio.detail).toContain('mx1.example.org');
    expect(prio.remediation).toContain('IN MX 10 mx1.example.org.');
  });

  it('fails a domain that does not exist', async () => {
    const { ctx } = zoneContext('missing.example', [rr.mx(D, 10, 'mx1.example.org')]);
    const f = await mxCheck(ctx);
    expect(f).toHaveLength(1);
    expect(only(f, 'mx.present')).toMatchObject({ status: 'fail', severity: 'high' });
  });

  it('warns about a missing MX and reports the implicit A/AAAA fallback', async () => {
    const { ctx } = zoneContext(D, [rr.a(D, '192.0.2.80')]);
    const present = only(await mxCheck(ctx), 'mx.present');
    expect(present.status).toBe('warn');
    expect(present.detail).toContain('implicit MX');
    expect(present.detail).toContain('192.0.2.80');
    expect(present.remediation).toContain('example.org. 3600 IN MX 10 mail.example.org.');
    expect(present.remediation).toContain('example.org. 3600 IN MX 0 .');
  });

  it('says when there is no address to fall back to either', async () => {
    const { ctx } = zoneContext(D, [rr.txt(D, 'v=spf1 -all')]);
    const present = only(await mxCheck(ctx), 'mx.present');
    expect(present.status).toBe('warn');
    expect(present.detail).toContain('no A/AAAA records either');
  });

  it('recognises a null MX as "accepts no mail" and checks nothing else', async () => {
    const { ctx, resolver } = zoneContext(D, [rr.mx(D, 0, '.')]);
    const f = await mxCheck(ctx);
    expect(f.map((x) => x.id)).toEqual(['mx.present', 'mx.null']);
    expect(only(f, 'mx.null')).toMatchObject({
      status: 'info',
      title: expect.stringContaining('accepts no mail'),
    });
    expect(resolver.log).toHaveLength(1);
  });

  it('fails a null MX mixed with other MX records', async () => {
    const { ctx } = zoneContext(D, [rr.mx(D, 0, ''), rr.mx(D, 10, 'mx1.example.org'), ...hosts]);
    const f = await mxCheck(ctx);
    expect(only(f, 'mx.null')).toMatchObject({ status: 'fail', severity: 'high' });
    expect(only(f, 'mx.resolves').status).toBe('pass');
  });

  it('fails a null MX with a non-zero preference', async () => {
    const { ctx } = zoneContext(D, [rr.mx(D, 10, '.')]);
    const n = only(await mxCheck(ctx), 'mx.null');
    expect(n.status).toBe('fail');
    expect(n.remediation).toBe('example.org. 3600 IN MX 0 .');
  });

  it('fails IP-literal targets without looking them up', async () => {
    const { ctx, resolver } = zoneContext(D, [
      rr.mx(D, 10, '192.0.2.1'),
      rr.mx(D, 20, 'mx1.example.org'),
      ...hosts,
    ]);
    const f = await mxCheck(ctx);
    const target = only(f, 'mx.target');
    expect(target.status).toBe('fail');
    expect(target.detail).toContain('192.0.2.1');
    expect(target.remediation).toContain('mx10.example.org. 3600 IN A 192.0.2.1');
    const resolves = only(f, 'mx.resolves');
    expect(resolves).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(resolves.remediation).toBe('; 192.0.2.1: publish a host name instead (see mx.target)');
    expect(resolver.log.some((q) => q.name === '192.0.2.1')).toBe(false);
  });

  it('fails a target that is a CNAME and names the canonical host', async () => {
    const { ctx } = zoneContext(D, [
      rr.mx(D, 10, 'mail.example.org'),
      rr.cname('mail.example.org', 'mx1.example.org'),
      ...hosts,
    ]);
    const f = await mxCheck(ctx);
    const target = only(f, 'mx.target');
    expect(target.status).toBe('fail');
    expect(target.detail).toContain('RFC 2181');
    expect(target.remediation).toContain('IN MX 10 mx1.example.org.');
    expect(only(f, 'mx.resolves').status).toBe('pass');
  });

  it('lists MX hosts that do not resolve and rates all-broken as high', async () => {
    const some = zoneContext(D, [
      rr.mx(D, 10, 'mx1.example.org'),
      rr.mx(D, 20, 'gone.example.net'),
      ...hosts,
    ]);
    const r1 = only(await mxCheck(some.ctx), 'mx.resolves');
    expect(r1).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(r1.detail).toContain('NXDOMAIN');
    expect(r1.detail).toContain('gone.example.net');
    expect(r1.detail).not.toContain('mx1.example.org');

    const all = zoneContext(D, [rr.mx(D, 10, 'mx.example.org'), rr.txt('mx.example.org', 'no address')]);
    const r2 = only(await mxCheck(all.ctx), 'mx.resolves');
    expect(r2).toMatchObject({ status: 'fail', severity: 'high' });
    expect(r2.detail).toContain('no A or AAAA record: mx.example.org');
  });

  it('reports a failed MX query as an error, not as a missing MX', async () => {
    for (const mode of ['timeout', 'servfail', 'refused', 'malformed'] as const) {
      const { ctx } = zoneContext(D, [rr.mx(D, 10, 'mx1.example.org')], { failures: { [D]: mode } });
      const f = await mxCheck(ctx);
      expect(f).toHaveLength(1);
      expect(only(f, 'mx.present').status).toBe('error');
    }
  });

  it('turns an aborted scan into an error finding, not an exception', async () => {
    const { ctx } = zoneContext(D, [rr.mx(D, 10, 'mx1.example.org'), ...hosts]);
    const aborter = new AbortController();
    aborter.abort();
    const present = only(await mxCheck({ ...ctx, signal: aborter.signal }), 'mx.present');
    expect(present.status).toBe('error');
    expect(present.detail).toContain('E_DNS_ABORTED');
  });

  it('reports failed host lookups as an error when no host is known to be broken', async () => {
    const { ctx } = zoneContext(D, [rr.mx(D, 10, 'mx1.example.org'), ...hosts], {
      failures: { 'mx1.example.org': 'timeout' },
    });
    const r = only(await mxCheck(ctx), 'mx.resolves');
    expect(r.status).toBe('error');
    expect(r.detail).toContain('lookups failed for mx1.example.org');
  });
});

describe('lookupMx', () => {
  it('returns hosts sorted by preference with their addresses, once per context', async () => {
    const { ctx, resolver } = zoneContext(D, [
      rr.mx(D, 20, 'mx2.example.org'),
      rr.mx(D, 10, 'mx1.example.org'),
      ...hosts,
    ]);
    const lk = await lookupMx(ctx);
    expect(lk.hosts.map((h) => [h.exchange, h.preference, h.addresses])).toEqual([
      ['mx1.example.org', 10, ['192.0.2.10', '2001:db8::10']],
      ['mx2.example.org', 20, ['192.0.2.20']],
    ]);
    const before = resolver.log.length;
    expect(await lookupMx(ctx)).toBe(lk);
    expect(resolver.log.length).toBe(before);
  });

  it(`looks up at most ${MX_MAX_HOSTS_RESOLVED} distinct hosts`, async () => {
    const many = Array.from({ length: MX_MAX_HOSTS_RESOLVED + 4 }, (_, i) =>
      rr.mx(D, i, `mx${i}.example.org`),
    );
    const { ctx, resolver } = zoneContext(D, many);
    const lk = await lookupMx(ctx);
    expect(lk.skipped).toBe(4);
    expect(resolver.log).toHaveLength(1 + 2 * MX_MAX_HOSTS_RESOLVED);
    const r = only(await mxCheck(ctx), 'mx.resolves');
    expect(r.detail).toContain(`beyond the first ${MX_MAX_HOSTS_RESOLVED}`);
  });
});

describe('isIpLiteral', () => {
  it('recognises address literals in their usual forms', () => {
    for (const s of ['192.0.2.1', '[192.0.2.1]', '2001:db8::1', '[IPv6:2001:db8::1]'])
      expect(isIpLiteral(s)).toBe(true);
    for (const s of ['mx.example.org', '1', '192.0.2', 'a:b']) expect(isIpLiteral(s)).toBe(false);
  });
});
