import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import type { DnsRecord } from '../../dns/types.js';
import { only, rr, zoneContext } from '../../../test/unit/support/domain-context.js';
import { spfCheck } from './check.js';

const D = 'example.org';

async function run(
  records: DnsRecord[],
  failures: Record<string, 'timeout' | 'servfail'> = {},
): Promise<Finding[]> {
  const { ctx } = zoneContext(D, records, { failures });
  return spfCheck(ctx);
}

const ids = (fs: Finding[]): string[] => fs.map((f) => f.id);

describe('spfCheck', () => {
  it('passes a tight record, with evidence and control on every finding', async () => {
    const fs = await run([
      rr.txt(D, 'v=spf1 mx -all'),
      rr.mx(D, 10, 'mx.example.org'),
      rr.a('mx.example.org', '192.0.2.25'),
    ]);
    expect(ids(fs)).toEqual([
      'spf.record',
      'spf.syntax',
      'spf.lookups',
      'spf.void-lookups',
      'spf.all',
      'spf.ptr',
      'spf.loop',
      'spf.broad',
    ]);
    for (const f of fs) {
      expect(f.status, f.id).toBe('pass');
      expect(f.controls).toEqual(['auth.spf']);
      expect(f.gdpr.length).toBeGreaterThan(0);
      expect(f.evidence).toMatchObject({ domain: D, record: 'v=spf1 mx -all' });
    }
    expect(only(fs, 'spf.broad').evidence).toMatchObject({
      ipv4Addresses: 1,
      ipv4Networks: ['192.0.2.25/32'],
    });
  });

  it('fails a missing record and proposes one matching the MX set-up', async () => {
    const withMx = only(
      await run([rr.mx(D, 10, 'mx.example.org'), rr.a('mx.example.org', '192.0.2.25')]),
      'spf.record',
    );
    expect(withMx).toMatchObject({ status: 'fail', severity: 'high' });
    expect(withMx.remediation).toContain('example.org. 3600 IN TXT "v=spf1 mx -all"');
    const nullMx = only(await run([rr.mx(D, 0, '.')]), 'spf.record');
    expect(nullMx.remediation).toContain('example.org. 3600 IN TXT "v=spf1 -all"');
    expect(nullMx.remediation).not.toContain('mx -all');
  });

  it('fails several records and proposes a merged one', async () => {
    const fs = await run([rr.txt(D, 'v=spf1 mx -all'), rr.txt(D, 'v=spf1 include:_spf.mail.example ~all')]);
    expect(ids(fs)).toEqual(['spf.record']);
    const f = only(fs, 'spf.record');
    expect(f).toMatchObject({ status: 'fail', severity: 'high' });
    expect(f.evidence).toMatchObject({
      records: ['v=spf1 mx -all', 'v=spf1 include:_spf.mail.example ~all'],
    });
    expect(f.remediation).toContain('"v=spf1 mx include:_spf.mail.example -all"');
  });

  it('reports a DNS timeout on the record as spf.dns error, with the reason', async () => {
    const fs = await run([], { [D]: 'timeout' });
    expect(ids(fs)).toEqual(['spf.dns']);
    const f = only(fs, 'spf.dns');
    expect(f.status).toBe('error');
    expect(f.detail).toMatch(/E_DNS_TIMEOUT/);
  });

  it('reports failed lookups further down the tree as spf.dns error beside the verdicts', async () => {
    const fs = await run([rr.txt(D, 'v=spf1 include:_spf.slow.example -all')], {
      '_spf.slow.example': 'servfail',
    });
    const f = only(fs, 'spf.dns');
    expect(f.status).toBe('error');
    expect(f.detail).toMatch(/_spf\.slow\.example: TXT lookup answered SERVFAIL/);
    expect(only(fs, 'spf.all').status).toBe('pass');
  });

  it('fails more than 10 lookups and names the heaviest includes to flatten', async () => {
    const fs = await run([
      rr.txt(D, 'v=spf1 include:big.example include:small.example -all'),
      rr.txt(
        'big.example',
        'v=spf1 a:1.big.example a:2.big.example a:3.big.example a:4.big.example a:5.big.example a:6.big.example a:7.big.example',
      ),
      rr.txt('small.example', 'v=spf1 a:1.small.example a:2.small.example'),
      ...Array.from({ length: 7 }, (_, i) => rr.a(`${i + 1}.big.example`, `192.0.2.${i + 1}`)),
      rr.a('1.small.example', '192.0.2.100'),
      rr.a('2.small.example', '192.0.2.101'),
    ]);
    const f = only(fs, 'spf.lookups');
    expect(f).toMatchObject({ status: 'fail', severity: 'high' });
    expect(f.detail).toMatch(/takes 11 DNS-querying terms/);
    expect(f.evidence).toMatchObject({ lookups: 11 });
    expect(f.remediation).toMatch(
      /include:big\.example {2}\(8 lookups\)\n {2}include:small\.example {2}\(3 lookups\)/,
    );
  });

  it('warns on one void lookup and fails on more than two', async () => {
    const one = only(await run([rr.txt(D, 'v=spf1 a:old.example.org -all')]), 'spf.void-lookups');
    expect(one).toMatchObject({ status: 'warn', severity: 'low' });
    expect(one.remediation).toContain('"a:old.example.org"');
    const three = only(
      await run([rr.txt(D, 'v=spf1 a:gone1.example.org a:gone2.example.org mx:gone3.example.org -all')]),
      'spf.void-lookups',
    );
    expect(three).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(three.detail).toMatch(/^3 lookup/);
  });

  it('fails +all as critical and gives the record with -all', async () => {
    const f = only(await run([rr.txt(D, 'v=spf1 ip4:192.0.2.0/24 +all')]), 'spf.all');
    expect(f).toMatchObject({ status: 'fail', severity: 'critical' });
    expect(f.remediation).toContain('example.org. 3600 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"');
  });

  it('warns on ?all and on a record without all or redirect', async () => {
    const neutral = only(await run([rr.txt(D, 'v=spf1 ip4:192.0.2.0/24 ?all')]), 'spf.all');
    expect(neutral).toMatchObject({ status: 'warn', severity: 'medium' });
    expect(neutral.remediation).toContain('"v=spf1 ip4:192.0.2.0/24 -all"');
    const open = only(await run([rr.txt(D, 'v=spf1 ip4:192.0.2.0/24')]), 'spf.all');
    expect(open.status).toBe('warn');
    expect(open.detail).toMatch(/no "all" mechanism/);
    expect(open.remediation).toContain('"v=spf1 ip4:192.0.2.0/24 -all"');
  });

  it('proposes records without the invalid terms', async () => {
    const f = only(await run([rr.txt(D, 'v=spf1 ip4:192.0.2.1 moo ?all')]), 'spf.all');
    expect(f.remediation).toContain('"v=spf1 ip4:192.0.2.1 -all"');
  });

  it('treats ~all as information and follows redirect to find the all', async () => {
    const soft = only(
      await run([
        rr.txt(D, 'v=spf1 mx ~all'),
        rr.mx(D, 10, 'mx.example.org'),
        rr.a('mx.example.org', '192.0.2.1'),
      ]),
      'spf.all',
    );
    expect(soft.status).toBe('info');
    const redirected = only(
      await run([
        rr.txt(D, 'v=spf1 redirect=_spf.example.org'),
        rr.txt('_spf.example.org', 'v=spf1 ip4:192.0.2.1 -all'),
      ]),
      'spf.all',
    );
    expect(redirected.status).toBe('pass');
    expect(redirected.evidence).toMatchObject({ decidedBy: '_spf.example.org' });
  });

  it('warns on ptr and shows the record without it', async () => {
    const f = only(await run([rr.txt(D, 'v=spf1 ptr ip4:192.0.2.1 -all')]), 'spf.ptr');
    expect(f).toMatchObject({ status: 'warn', severity: 'low' });
    expect(f.remediation).toContain('"v=spf1 ip4:192.0.2.1 -all"');
  });

  it('fails an include loop (a includes b includes a)', async () => {
    const fs = await run([
      rr.txt(D, 'v=spf1 include:b.example -all'),
      rr.txt('b.example', `v=spf1 include:${D}`),
    ]);
    const f = only(fs, 'spf.loop');
    expect(f).toMatchObject({ status: 'fail', severity: 'high' });
    expect(f.detail).toContain('example.org -> b.example -> example.org');
    expect(f.remediation).toBe(`Remove "include:${D}" from the record of b.example.`);
  });

  it('ends a 300-node tree with findings, and a bigger one with a cut tree', async () => {
    const build = (width: number, fanout: number): DnsRecord[] => {
      const mids = Array.from({ length: width }, (_, i) => `m${i}.example.net`);
      return [
        rr.txt(D, `v=spf1 ${mids.map((m) => `include:${m}`).join(' ')} -all`),
        ...mids.flatMap((m, i) => {
          const leaves = Array.from({ length: fanout }, (_, j) => `l${i}-${j}.example.net`);
          return [
            rr.txt(m, `v=spf1 ${leaves.map((l) => `include:${l}`).join(' ')}`),
            ...leaves.map((l) => rr.txt(l, 'v=spf1 ip4:192.0.2.1')),
          ];
        }),
      ];
    };
    const three = only(await run(build(15, 20)), 'spf.lookups');
    expect(three.status).toBe('fail');
    expect(three.detail).toMatch(/takes 315 DNS-querying terms/);
    const huge = only(await run(build(40, 40)), 'spf.lookups');
    expect(huge.detail).toMatch(/takes at least \d+ DNS-querying terms.*cut at 500 records/);
    expect(huge.evidence).toMatchObject({ truncated: true, nodes: 500 });
  });

  it('flags broad networks with the count and the broadest terms', async () => {
    const f = only(
      await run([rr.txt(D, 'v=spf1 ip4:192.0.2.0/24 ip4:10.0.0.0/8 ip4:10.1.0.0/16 -all')]),
      'spf.broad',
    );
    expect(f).toMatchObject({ status: 'fail', severity: 'high' });
    expect(f.detail).toContain('authorises 16,777,472 IPv4 addresses');
    expect(f.evidence).toMatchObject({
      broadest: [
        { term: 'ip4:10.0.0.0/8', addresses: 2 ** 24 },
        { term: 'ip4:10.1.0.0/16' },
        { term: 'ip4:192.0.2.0/24' },
      ],
    });
    expect(f.remediation).toContain('ip4:10.0.0.0/8');
    const warn = only(await run([rr.txt(D, 'v=spf1 ip4:172.16.0.0/12 -all')]), 'spf.broad');
    expect(warn).toMatchObject({ status: 'warn', severity: 'medium' });
  });

  it('reports syntax errors and include targets without a record as spf.syntax', async () => {
    const fs = await run([
      rr.txt(D, 'v=spf1 ip4:192.0.2.300 include:none.example -all'),
      rr.txt('none.example', 'not spf'),
    ]);
    const f = only(fs, 'spf.syntax');
    expect(f).toMatchObject({ status: 'fail', severity: 'high' });
    expect(f.detail).toContain('"ip4:192.0.2.300" "192.0.2.300" is not a valid IPv4 address');
    expect(f.detail).toContain('include:none.example: no SPF record');
    expect(f.remediation).toContain('"v=spf1 include:none.example -all"');
    expect(f.remediation).toContain('Remove or correct "include:none.example"');
  });

  it('keeps e-mail addresses out of its output', async () => {
    const fs = await run([rr.txt(D, 'v=spf1 exists:%{l}.%{d} -all')]);
    expect(JSON.stringify(fs)).not.toMatch(/@/);
  });
});
