import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DnsError } from '../core/errors.js';
import type { DnsResult, Resolver, RRType } from '../dns/types.js';
import { rr, zoneContext } from '../../test/unit/support/domain-context.js';
import { absolute, dnsLookup, lookupEvidence, parseTagList, zoneTxt } from './tag-list.js';

describe('parseTagList', () => {
  it('reads tags in order, trimming folding white space', () => {
    const t = parseTagList('v=DKIM1;\r\n\tk = rsa ; p=AB CD;');
    expect(t.tags).toEqual([
      { name: 'v', value: 'DKIM1' },
      { name: 'k', value: 'rsa' },
      { name: 'p', value: 'AB CD' },
    ]);
    expect(t.problems).toEqual([]);
  });

  it('keeps the first of duplicate tags and reports the duplicate', () => {
    const t = parseTagList('p=none; p=reject');
    expect(t.map.get('p')).toBe('none');
    expect(t.problems).toEqual([{ kind: 'duplicate', segment: 'p' }]);
  });

  it('reports segments without "=", bad names and inner empty segments', () => {
    const t = parseTagList('v=1;; junk; 9x=1; a=b=c');
    expect(t.problems.map((p) => p.kind)).toEqual(['empty', 'missing-equals', 'bad-name']);
    expect(t.map.get('a')).toBe('b=c');
  });

  it('folds names to lower case on request only', () => {
    expect(parseTagList('P=reject').map.has('P')).toBe(true);
    expect(parseTagList('P=reject', { lowerCaseNames: true }).map.get('p')).toBe('reject');
  });

  it('never throws and only returns names that match the grammar (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[a-z=; \t]{0,40}$/)),
        (s) => {
          const t = parseTagList(s);
          for (const tag of t.tags) expect(tag.name).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
          expect(new Set(t.tags.map((x) => x.name)).size).toBe(t.tags.length);
        },
      ),
    );
  });
});

describe('zoneTxt', () => {
  it('splits long text into 255-octet strings and escapes quotes', () => {
    const long = 'p=' + 'A'.repeat(400);
    const line = zoneTxt('k1._domainkey.example.org', long);
    const strings = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    expect(strings.map((s) => s?.length)).toEqual([255, 147]);
    expect(line.startsWith('k1._domainkey.example.org. 3600 IN TXT "')).toBe(true);
    expect(zoneTxt('x.example', 'a"b\\c', 60)).toBe('x.example. 60 IN TXT "a\\"b\\\\c"');
  });

  it('never splits a multi-byte character across strings', () => {
    const line = zoneTxt('x.example', 'ab' + 'é'.repeat(200));
    const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(strings.map((s) => Buffer.byteLength(s))).toEqual([254, 148]);
    expect(strings.join('')).toBe('ab' + 'é'.repeat(200));
  });

  it('renders the root as "." and never doubles the dot', () => {
    expect(absolute('')).toBe('.');
    expect(absolute('example.org.')).toBe('example.org.');
  });
});

describe('dnsLookup', () => {
  it('treats NOERROR and NXDOMAIN as answers', async () => {
    const { ctx } = zoneContext('example.org', [rr.txt('example.org', 'hello')]);
    const yes = await dnsLookup(ctx, 'example.org', 'TXT');
    const no = await dnsLookup(ctx, 'missing.example.org', 'TXT');
    expect(yes.ok && yes.result.answers.length).toBe(1);
    expect(no.ok && no.result.rcode).toBe('NXDOMAIN');
  });

  it('turns timeouts, SERVFAIL and REFUSED into failed outcomes with a reason', async () => {
    const { ctx } = zoneContext('example.org', [], {
      failures: { 't.example.org': 'timeout', 's.example.org': 'servfail', 'r.example.org': 'refused' },
    });
    const t = await dnsLookup(ctx, 't.example.org', 'TXT');
    const s = await dnsLookup(ctx, 's.example.org', 'TXT');
    const r = await dnsLookup(ctx, 'r.example.org', 'TXT');
    expect(!t.ok && t.reason).toMatch(/E_DNS_TIMEOUT/);
    expect(!s.ok && s.reason).toMatch(/SERVFAIL/);
    expect(!r.ok && r.reason).toMatch(/REFUSED/);
    expect(lookupEvidence(s)).toMatchObject({ name: 's.example.org', type: 'TXT' });
  });

  it('turns a non-DnsError exception into a failed outcome too', async () => {
    const resolver: Resolver = {
      query<T extends RRType>(): Promise<DnsResult<T>> {
        throw new DnsError('E_DNS_NETWORK', 'socket closed');
      },
    };
    const o = await dnsLookup({ resolver, signal: new AbortController().signal }, 'example.org', 'MX');
    expect(o.ok).toBe(false);
    expect(!o.ok && o.reason).toContain('socket closed');
  });
});
