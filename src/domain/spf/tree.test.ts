import { describe, expect, it } from 'vitest';
import { SPF_MAX_TREE_NODES } from '../../core/limits.js';
import type { DnsRecord } from '../../dns/types.js';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import { rr } from '../../../test/unit/support/domain-context.js';
import { staticTarget, walkSpf } from './tree.js';
import { parseMacroString } from './macro.js';

function walk(records: DnsRecord[], failures: Record<string, 'timeout' | 'servfail'> = {}) {
  const resolver = new MemoryResolver({ records, signedZones: [], failures });
  return { resolver, run: (domain: string) => walkSpf(domain, { resolver }) };
}

/** A root including `width` records that each include `fanout` leaves. */
function wideTree(width: number, fanout: number): DnsRecord[] {
  const records: DnsRecord[] = [];
  const mids = Array.from({ length: width }, (_, i) => `m${i}.example.net`);
  records.push(rr.txt('example.org', `v=spf1 ${mids.map((m) => `include:${m}`).join(' ')} -all`));
  mids.forEach((m, i) => {
    const leaves = Array.from({ length: fanout }, (_, j) => `l${i}-${j}.example.net`);
    records.push(rr.txt(m, `v=spf1 ${leaves.map((l) => `include:${l}`).join(' ')}`));
    leaves.forEach((l, j) => records.push(rr.txt(l, `v=spf1 ip4:10.${i}.${j}.0/24`)));
  });
  return records;
}

describe('walkSpf', () => {
  it('builds the include/redirect tree with per-node and total lookup counts', async () => {
    const { run } = walk([
      rr.txt(
        'example.org',
        'v=spf1 mx a:www.example.org include:_spf.mail.example ip4:192.0.2.10 redirect=other.example',
      ),
      rr.mx('example.org', 10, 'mx.example.org'),
      rr.a('mx.example.org', '192.0.2.25'),
      rr.a('www.example.org', '192.0.2.80'),
      rr.txt('_spf.mail.example', 'v=spf1 include:_a.mail.example include:_b.mail.example ~all'),
      rr.txt('_a.mail.example', 'v=spf1 ip4:198.51.100.0/24'),
      rr.txt('_b.mail.example', 'v=spf1 ip6:2001:db8::/32'),
      rr.txt('other.example', 'v=spf1 -all'),
    ]);
    const tree = await run('example.org');
    expect(tree.root.record).toMatch(/^v=spf1 mx/);
    // mx, a, include, redirect at the root; two includes below.
    expect(tree.root.lookups).toBe(4);
    expect(tree.totalLookups).toBe(6);
    expect(tree.nodeCount).toBe(5);
    expect(tree.root.children.map((c) => [c.via, c.domain])).toEqual([
      ['include', '_spf.mail.example'],
      ['redirect', 'other.example'],
    ]);
    expect(tree.ipv4.networks).toEqual([
      '192.0.2.10/32',
      '192.0.2.25/32',
      '192.0.2.80/32',
      '198.51.100.0/24',
    ]);
    expect(tree.ipv4.addressCount).toBe(259);
    expect(tree.ipv6).toEqual([{ domain: '_b.mail.example', term: 'ip6:2001:db8::/32' }]);
  });

  it('does not follow redirect when the record has an all mechanism', async () => {
    const { run, resolver } = walk([rr.txt('example.org', 'v=spf1 -all redirect=gone.example')]);
    const tree = await run('example.org');
    expect(tree.totalLookups).toBe(0);
    expect(tree.root.children).toEqual([]);
    expect(resolver.log.map((q) => q.name)).toEqual(['example.org']);
  });

  it('counts more than 10 lookups through nested includes', async () => {
    const { run } = walk([
      rr.txt('example.org', 'v=spf1 include:a.example include:b.example -all'),
      rr.txt('a.example', 'v=spf1 a mx ptr exists:x.a.example include:c.example'),
      rr.txt('b.example', 'v=spf1 a:1.b.example a:2.b.example a:3.b.example'),
      rr.txt('c.example', 'v=spf1 mx:c.example a:c.example'),
    ]);
    const tree = await run('example.org');
    expect(tree.totalLookups).toBe(2 + 5 + 3 + 2);
    expect(tree.ptr).toEqual([{ domain: 'a.example', term: 'ptr' }]);
  });

  it('counts void lookups: a, mx and exists targets with no records', async () => {
    const { run } = walk([
      rr.txt(
        'example.org',
        'v=spf1 a:gone.example.org mx:nomx.example.org exists:none.example.org a:ok.example.org -all',
      ),
      rr.a('nomx.example.org', '192.0.2.1'),
      rr.a('ok.example.org', '192.0.2.2'),
    ]);
    const tree = await run('example.org');
    expect(tree.totalVoidLookups).toBe(3);
    expect(tree.voids.map((v) => v.term)).toEqual([
      'a:gone.example.org',
      'mx:nomx.example.org',
      'exists:none.example.org',
    ]);
  });

  it('detects an include loop and stops there', async () => {
    const { run } = walk([
      rr.txt('a.example', 'v=spf1 include:b.example -all'),
      rr.txt('b.example', 'v=spf1 include:A.example.'),
    ]);
    const tree = await run('a.example');
    expect(tree.loops).toEqual([
      { path: ['a.example', 'b.example', 'a.example'], term: 'include:A.example.' },
    ]);
    expect(tree.nodeCount).toBe(3);
    expect(tree.root.children[0]?.children[0]?.problem?.kind).toBe('loop');
  });

  it('walks a 300-node tree to the end', async () => {
    const { run } = walk(wideTree(15, 20));
    const tree = await run('example.org');
    expect(tree.nodeCount).toBe(1 + 15 + 300);
    expect(tree.truncated).toBe(false);
    expect(tree.totalLookups).toBe(15 + 300);
    expect(tree.ipv4.addressCount).toBe(300 * 256);
  });

  it(`stops at ${SPF_MAX_TREE_NODES} nodes on a bigger tree`, async () => {
    const { run, resolver } = walk(wideTree(30, 30));
    const tree = await run('example.org');
    expect(tree.nodeCount).toBe(SPF_MAX_TREE_NODES);
    expect(tree.truncated).toBe(true);
    expect(resolver.log.length).toBeLessThanOrEqual(SPF_MAX_TREE_NODES);
  });

  it('records DNS failures and missing include targets without throwing', async () => {
    const { run } = walk(
      [
        rr.txt('example.org', 'v=spf1 include:slow.example include:nothing.example a:bad.example -all'),
        rr.txt('nothing.example', 'hello'),
      ],
      { 'slow.example': 'timeout', 'bad.example': 'servfail' },
    );
    const tree = await run('example.org');
    expect(tree.root.children.map((c) => c.problem?.kind)).toEqual(['dns', 'none']);
    expect(tree.dnsErrors.map((e) => [e.domain, e.term])).toEqual([
      ['example.org', 'a:bad.example'],
      ['example.org', 'a:bad.example'],
      ['slow.example', ''],
    ]);
  });

  it('leaves only-authorising terms out of the address union', async () => {
    const { run } = walk([
      rr.txt('example.org', 'v=spf1 -ip4:10.0.0.0/8 ~include:soft.example ip4:192.0.2.0/24 -all'),
      rr.txt('soft.example', 'v=spf1 ip4:172.16.0.0/12'),
    ]);
    const tree = await run('example.org');
    expect(tree.ipv4.networks).toEqual(['192.0.2.0/24']);
  });
});

describe('staticTarget', () => {
  const tokens = (s: string) => {
    const p = parseMacroString(s);
    if (!p.ok) throw new Error(p.reason);
    return p.tokens;
  };
  it('expands d and o, and calls anything else dynamic', () => {
    expect(staticTarget(tokens('_spf.%{d}'), 'Sub.Example.org', 'example.org')).toBe('_spf.sub.example.org');
    expect(staticTarget(tokens('%{o2}.x.net'), 'a.example', 'mail.example.org')).toBe('example.org.x.net');
    expect(staticTarget(tokens('%{i}._spf.%{d}'), 'a.example', 'a.example')).toBeNull();
    expect(staticTarget(tokens('a..b.example'), 'a.example', 'a.example')).toBeUndefined();
  });
});
