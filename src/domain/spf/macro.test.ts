import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientIp } from './ip.js';
import { expandMacros, parseMacroString, toQueryName, urlEscape, type MacroContext } from './macro.js';

function context(ip: string, overrides: Partial<MacroContext> = {}): MacroContext {
  const parsed = parseClientIp(ip);
  if (!parsed) throw new Error('bad test ip');
  return {
    sender: 'strong-bad@email.example.com',
    localPart: 'strong-bad',
    senderDomain: 'email.example.com',
    domain: 'email.example.com',
    ip: parsed,
    helo: 'mx.example.org',
    receiver: 'mx.receiver.example',
    now: () => new Date('2025-03-01T12:00:00Z'),
    validatedName: async () => 'mx.example.org',
    ...overrides,
  };
}

async function expand(text: string, ctx: MacroContext, explanation = false): Promise<string> {
  const parsed = parseMacroString(text, { explanation });
  if (!parsed.ok) throw new Error(parsed.reason);
  return expandMacros(parsed.tokens, ctx);
}

describe('macro expansion (RFC 7208 §7.4 examples)', () => {
  const ctx4 = context('192.0.2.3');
  const table: [string, string][] = [
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
  ];
  for (const [macro, want] of table) {
    it(`${macro} -> ${want}`, async () => {
      expect(await expand(macro, ctx4)).toBe(want);
    });
  }

  it('expands IPv6 nibbles (DNS names are case-insensitive, so case is not compared)', async () => {
    const got = await expand('%{ir}.%{v}._spf.%{d2}', context('2001:db8::cb01'));
    expect(got.toLowerCase()).toBe(
      '1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com',
    );
  });

  it('expands the explanation-only letters c, r, t and the p macro', async () => {
    const ctx = context('2001:db8::cb01');
    expect(await expand('%{c} %{r} %{t} %{p}', ctx, true)).toBe(
      '2001:db8::cb01 mx.receiver.example 1740830400 mx.example.org',
    );
  });

  it('URL-escapes upper-case macros', async () => {
    const ctx = context('192.0.2.3', { localPart: '~jack&jill=up-a_b3.c', helo: "JUMPIN' JUPITER" });
    expect(await expand('%{L}', ctx)).toBe('~jack%26jill%3Dup-a_b3.c');
    expect(await expand('%{H}', ctx)).toBe('JUMPIN%27%20JUPITER');
  });

  it('splits on several delimiters at once', async () => {
    const ctx = context('192.0.2.3', { localPart: 'foo-bar+zip+quux' });
    expect(await expand('%{l2r+-}', ctx)).toBe('bar.foo');
  });

  it('allows c, r, t only in explanation text', () => {
    expect(parseMacroString('%{c}').ok).toBe(false);
    expect(parseMacroString('%{c}', { explanation: true }).ok).toBe(true);
    expect(parseMacroString('a b').ok).toBe(false);
    expect(parseMacroString('a b', { explanation: true }).ok).toBe(true);
  });

  it('marks where a macro-string ends in a macro', () => {
    expect(parseMacroString('x.%{d}')).toMatchObject({ ok: true, endsWithMacro: true });
    expect(parseMacroString('x.%%')).toMatchObject({ ok: true, endsWithMacro: true });
    expect(parseMacroString('%{d}.x')).toMatchObject({ ok: true, endsWithMacro: false });
  });

  it('never throws on any input and escapes only outside the unreserved set', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        parseMacroString(s);
        parseMacroString(s, { explanation: true });
        expect(urlEscape(s)).toMatch(/^[A-Za-z0-9\-._~%]*$/);
        expect(decodeURIComponent(urlEscape(s.replace(/[\uD800-\uDFFF]/g, '')))).toBe(
          s.replace(/[\uD800-\uDFFF]/g, ''),
        );
      }),
    );
  });
});

describe('toQueryName', () => {
  it('drops a trailing dot and truncates long names from the left (§7.3)', () => {
    expect(toQueryName('example.org.')).toBe('example.org');
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`;
    expect(long.length).toBeGreaterThan(253);
    expect(toQueryName(long)).toBe(`${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`);
  });

  it('refuses names that cannot be queried', () => {
    expect(toQueryName('mail.example...com')).toBeUndefined();
    expect(toQueryName(`${'a'.repeat(64)}.example.com`)).toBeUndefined();
    expect(toQueryName('')).toBeUndefined();
    expect(toQueryName('x'.repeat(300))).toBeUndefined();
  });
});
