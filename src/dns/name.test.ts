import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidHostname, toAsciiDomain } from './name.js';

describe('toAsciiDomain', () => {
  it.each([
    ['example.org', 'example.org'],
    ['  Example.ORG.  ', 'example.org'],
    ['_dmarc.example.org', '_dmarc.example.org'],
    ['Bücher.Example', 'xn--bcher-kva.example'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
    ['localhost', 'localhost'],
  ])('accepts %j as %j', (input, domain) => {
    expect(toAsciiDomain(input)).toEqual({ ok: true, domain });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['.', /empty/],
    ['example.org..', /empty label/],
    ['a..b', /empty label/],
    ['.example.org', /empty label/],
    [`${'a'.repeat(64)}.org`, /label longer than 63/],
    [Array.from({ length: 51 }, () => 'abcd').join('.') + '.org', /longer than 253/],
    ['a'.repeat(5000), /longer than 253/],
    ['exa mple.org', /characters not allowed/],
    ['example.org/path', /characters not allowed/],
    ['jane@example.org', /e-mail address/],
    ['192.0.2.1', /IP address/],
    ['::1', /IP address/],
    ['[2001:db8::1]', /IP address/],
    ['1.2.3', /numeric label/],
    ['-bad-.org', /hyphen/],
    ['mail.bad-.org', /hyphen/],
    ['xn--zz.example', /internationalised/],
    ['bad\u00a0space.example', /internationalised|characters/],
  ])('rejects %j', (input, reason) => {
    const r = toAsciiDomain(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('never repeats the input in its reason', () => {
    const r = toAsciiDomain('jane.doe@example.org');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).not.toContain('jane');
  });

  it('never throws, and what it accepts is a valid ASCII name that normalises to itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'grapheme', maxLength: 60 }),
          fc.domain(),
          fc.webUrl(),
          fc.emailAddress(),
          fc.ipV4(),
          fc.ipV6(),
        ),
        (input) => {
          const r = toAsciiDomain(input);
          if (r.ok) {
            expect(r.domain).toMatch(
              /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/,
            );
            expect(r.domain.length).toBeLessThanOrEqual(253);
            expect(toAsciiDomain(r.domain)).toEqual(r);
          } else {
            expect(r.reason.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepts every domain fast-check generates', () => {
    fc.assert(
      fc.property(fc.domain(), (d) => {
        expect(toAsciiDomain(d)).toEqual({ ok: true, domain: d.toLowerCase() });
      }),
    );
  });
});

describe('isValidHostname', () => {
  it.each(['mx1.example.org', 'MX1.Example.org.', 'a-b.example', 'x'])('accepts %j', (h) => {
    expect(isValidHostname(h)).toBe(true);
  });
  it.each([
    '',
    '.',
    '_dmarc.example.org',
    '-a.example',
    'a-.example',
    'a..b',
    '192.0.2.1',
    'a b.example',
    'é.example',
  ])('rejects %j', (h) => {
    expect(isValidHostname(h)).toBe(false);
  });
  it('never throws', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => typeof isValidHostname(s) === 'boolean'));
  });
});
