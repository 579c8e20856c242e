import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDomainSpec, isSpfRecordText, parseSpf, type SpfMechanism } from './parse.js';

function mech(text: string): SpfMechanism {
  const p = parseSpf(`v=spf1 ${text}`);
  expect(p.errors).toEqual([]);
  const m = p.mechanisms[0];
  if (!m) throw new Error('no mechanism');
  return m;
}

function errorOf(text: string): { index: number; reason: string } {
  const p = parseSpf(text);
  expect(p.valid).toBe(false);
  const e = p.errors[0];
  if (!e) throw new Error('no error');
  return e;
}

describe('isSpfRecordText', () => {
  it('accepts v=spf1 in any case, followed by a space or the end', () => {
    expect(isSpfRecordText('v=spf1')).toBe(true);
    expect(isSpfRecordText('V=SpF1 -all')).toBe(true);
    expect(isSpfRecordText('v=spf10')).toBe(false);
    expect(isSpfRecordText('v=spf1mx')).toBe(false);
    expect(isSpfRecordText(' v=spf1 -all')).toBe(false);
    expect(isSpfRecordText('v=spf1\t-all')).toBe(false);
  });
});

describe('parseSpf', () => {
  it('reads qualifiers and every mechanism', () => {
    const p = parseSpf(
      'v=spf1 +a -mx ~ptr ?exists:%{i}.x.example include:_spf.example.net ip4:192.0.2.0/24 ip6:2001:db8::/32 all',
    );
    expect(p.valid).toBe(true);
    expect(p.mechanisms.map((m) => `${m.qualifier}${m.name}`)).toEqual([
      '+a',
      '-mx',
      '~ptr',
      '?exists',
      '+include',
      '+ip4',
      '+ip6',
      '+all',
    ]);
    expect(p.mechanisms.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('reads mechanism names case-insensitively', () => {
    expect(mech('-ALL').name).toBe('all');
    expect(mech('Include:example.org').name).toBe('include');
  });

  it('splits dual CIDR lengths from the domain', () => {
    const m = mech('a:mail.example.org/24//64');
    expect(m).toMatchObject({ domainSpec: 'mail.example.org', cidr4: 24, cidr6: 64 });
    expect(mech('a/24//64')).toMatchObject({ cidr4: 24, cidr6: 64 });
    expect(mech('mx//0')).toMatchObject({ cidr6: 0 });
    expect(mech('mx//0').cidr4).toBeUndefined();
    // A slash inside the domain that is not a prefix length stays part of the domain.
    expect(mech('a:foo:bar/baz.example.com').domainSpec).toBe('foo:bar/baz.example.com');
  });

  it('rejects bad prefix lengths', () => {
    expect(errorOf('v=spf1 a/33').reason).toMatch(/over 32/);
    expect(errorOf('v=spf1 a//129').reason).toMatch(/over 128/);
    expect(errorOf('v=spf1 a/24/64').reason).toMatch(/dual CIDR/);
    expect(errorOf('v=spf1 ip4:1.2.3.4/032').reason).toMatch(/prefix length/);
    expect(errorOf('v=spf1 ip4:1.2.3.4//32').reason).toMatch(/prefix length/);
    expect(errorOf('v=spf1 ptr/0').reason).toMatch(/ptr/);
    expect(errorOf('v=spf1 include:example.org/24').reason).toMatch(/top-level label/);
  });

  it('validates ip4 and ip6 networks strictly', () => {
    expect(mech('ip4:192.0.2.1').network).toEqual([192, 0, 2, 1]);
    expect(mech('ip6:::1.1.1.1/0').network).toEqual([...new Array(12).fill(0), 1, 1, 1, 1]);
    expect(mech('ip6:Cafe:Babe:8000::/33').cidr6).toBe(33);
    for (const bad of [
      'ip4:1.2.3',
      'ip4:1.2.03.4',
      'ip4:1.2.3.4:8080',
      'ip4',
      'ip6',
      'ip6::CAFE::BABE',
      'ip6:fe80::1%eth0',
    ]) {
      expect(parseSpf(`v=spf1 ${bad}`).valid, bad).toBe(false);
    }
  });

  it('checks domain-spec endings', () => {
    expect(checkDomainSpec('example.org').ok).toBe(true);
    expect(checkDomainSpec('example.org.').ok).toBe(true);
    expect(checkDomainSpec('foo.example.xn--zckzah').ok).toBe(true);
    expect(checkDomainSpec('%{d}').ok).toBe(true);
    expect(checkDomainSpec('museum').ok).toBe(false);
    expect(checkDomainSpec('museum.').ok).toBe(false);
    expect(checkDomainSpec('abc.123').ok).toBe(false);
    expect(checkDomainSpec('example.-com').ok).toBe(false);
    expect(checkDomainSpec('111.222.33.44').ok).toBe(false);
    expect(checkDomainSpec('').ok).toBe(false);
  });

  it('reads macros, including %%, %_ and %- escapes', () => {
    const m = mech('a:macro%%percent%_%_space%-url-space.example.com');
    expect(m.domainTokens).toEqual([
      { kind: 'literal', text: 'macro%percent  space%20url-space.example.com' },
    ]);
    expect(mech('exists:%{d4r}.%{ir}.x.example').domainTokens?.[0]).toMatchObject({
      kind: 'macro',
      letter: 'd',
      keep: 4,
      reverse: true,
    });
  });

  it('rejects invalid macros as permerror material', () => {
    expect(errorOf('v=spf1 exists:%(ir).sbl.example.com').reason).toMatch(/must be followed/);
    expect(errorOf('v=spf1 exists:foo%.sbl.example.com').reason).toMatch(/must be followed/);
    expect(errorOf('v=spf1 a:%{a}.example.com').reason).toMatch(/not a macro letter/);
    expect(errorOf('v=spf1 -all exp=%{r}.example.com').reason).toMatch(/only in explanation/);
    expect(errorOf('v=spf1 a:%{d0}.example.com').reason).toMatch(/at least 1/);
  });

  it('treats modifiers by name: redirect and exp once each, unknown ones allowed', () => {
    const p = parseSpf(
      'v=spf1 mx moo.cow-far_out=man:dog/cat redirect=_spf.example.org exp=explain.example.org',
    );
    expect(p.valid).toBe(true);
    expect(p.redirect?.value).toBe('_spf.example.org');
    expect(p.exp?.value).toBe('explain.example.org');
    expect(p.terms.filter((t) => t.type === 'modifier').map((t) => t.name)).toEqual([
      'moo.cow-far_out',
      'redirect',
      'exp',
    ]);
    expect(errorOf('v=spf1 redirect=a.example.org -all redirect=a.example.org')).toMatchObject({
      index: 2,
      reason: expect.stringMatching(/more than once/),
    });
    expect(errorOf('v=spf1 exp=a.example.org exp=b.example.org').index).toBe(1);
    expect(errorOf('v=spf1 exp= -all').reason).toMatch(/empty/);
    expect(errorOf('v=spf1 -all foo=%abc').reason).toMatch(/modifier value/);
  });

  it('rejects unknown mechanisms, bad modifier names and control characters, with the term index', () => {
    expect(errorOf('v=spf1 ip4:1.2.3.4 -all moo')).toMatchObject({
      index: 2,
      reason: expect.stringMatching(/unknown/),
    });
    expect(errorOf('v=spf1 1up=foo').index).toBe(0);
    expect(errorOf('v=spf1 =all').index).toBe(0);
    expect(errorOf('v=spf1 redirect:example.org').reason).toMatch(/unknown/);
    expect(errorOf('v=spf1 a:ctrl.example.com\rptr -all').reason).toMatch(/0x0d/);
    expect(errorOf('v=spf1 a:foo.example.com\0').reason).toMatch(/0x00/);
    expect(errorOf('v=spf1 -all.').reason).toMatch(/no argument/);
    expect(errorOf('v=spf1 a:example.net \u0096all').reason).toMatch(/0x96/);
  });

  it('ignores repeated and trailing spaces', () => {
    const p = parseSpf('v=spf1  a   -all ');
    expect(p.valid).toBe(true);
    expect(p.terms.map((t) => t.text)).toEqual(['a', '-all']);
  });

  it('reports a non-SPF text as such', () => {
    const p = parseSpf('v=spf10 -all');
    expect(p).toMatchObject({ isSpf: false, valid: false, terms: [] });
    expect(p.errors[0]?.index).toBe(-1);
  });

  it('never throws, and keeps errors and terms consistent, on any string', () => {
    // Mostly characters that matter to the grammar, so the generator reaches deep paths.
    const spfish = fc
      .string({
        unit: fc.constantFrom(
          ...'v=spf1 +-~?%{}_.:/aimxptr46lsodcr0123456789ALLincludeexistsredirect'.split(''),
        ),
      })
      .map((s) => `v=spf1 ${s}`);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }).map((s) => `v=spf1 ${s}`),
          spfish,
        ),
        (text) => {
          const p = parseSpf(text);
          expect(p.valid).toBe(p.isSpf && p.errors.length === 0);
          const indexes = [...p.terms.map((t) => t.index), ...p.errors.map((e) => e.index)].filter(
            (i) => i >= 0,
          );
          // Every word becomes a term or an error (a duplicate modifier can be both).
          expect(new Set(indexes).size).toBe(p.isSpf ? text.slice(6).split(' ').filter(Boolean).length : 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed record built from the grammar', () => {
    const qualifier = fc.constantFrom('', '+', '-', '~', '?');
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const domain = fc
      .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('org', 'example', 'xn--zckzah'))
      .map(([labels, top]) => [...labels, top].join('.'));
    const octet = fc.integer({ min: 0, max: 255 });
    const term = fc.oneof(
      fc.tuple(qualifier, domain).map(([q, d]) => `${q}include:${d}`),
      fc.tuple(qualifier, domain, fc.integer({ min: 0, max: 32 })).map(([q, d, c]) => `${q}a:${d}/${c}`),
      fc.tuple(qualifier, fc.integer({ min: 0, max: 128 })).map(([q, c]) => `${q}mx//${c}`),
      fc
        .tuple(qualifier, octet, octet, fc.integer({ min: 0, max: 32 }))
        .map(([q, a, b, c]) => `${q}ip4:192.${a}.${b}.0/${c}`),
      fc
        .tuple(qualifier, fc.integer({ min: 0, max: 0xffff }))
        .map(([q, g]) => `${q}ip6:2001:db8:${g.toString(16)}::/48`),
      fc.tuple(qualifier, domain).map(([q, d]) => `${q}exists:%{ir}.%{l1r-}.${d}`),
      fc.constantFrom('ptr', '?all', '-all', 'foo=bar'),
    );
    fc.assert(
      fc.property(fc.array(term, { maxLength: 12 }), (terms) => {
        const p = parseSpf(['v=spf1', ...terms].join(' '));
        expect(p.errors).toEqual([]);
        expect(p.terms.map((t) => t.text)).toEqual(terms);
      }),
      { numRuns: 500 },
    );
  });
});
