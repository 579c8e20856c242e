import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MTA_STS_MAX_REPORTED_PROBLEMS } from '../../core/limits.js';
import { isValidMxPattern, mxMatchesPattern, parseMtaStsPolicy } from './parse.js';

const GOOD =
  'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.example.net\r\nmax_age: 604800\r\n';

describe('parseMtaStsPolicy', () => {
  it('reads a valid CRLF policy', () => {
    const p = parseMtaStsPolicy(GOOD);
    expect(p).toMatchObject({
      version: 'STSv1',
      mode: 'enforce',
      mx: ['mail.example.org', '*.example.net'],
      maxAge: 604800,
      valid: true,
      errors: [],
      warnings: [],
    });
  });

  it('accepts LF line ends and trailing whitespace, with a warning for bare LF', () => {
    const p = parseMtaStsPolicy('version: STSv1\nmode: testing \nmx:\tmail.example.org\nmax_age: 86400');
    expect(p.valid).toBe(true);
    expect(p.mode).toBe('testing');
    expect(p.mx).toEqual(['mail.example.org']);
    expect(p.warnings.join()).toMatch(/LF only/);
  });

  it('does not require mx in mode none', () => {
    const p = parseMtaStsPolicy('version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n');
    expect(p.valid).toBe(true);
    expect(p.mx).toEqual([]);
  });

  it.each([
    ['garbage', /not of the form/],
    ['version: STSv1\nmode: enforce\nmax_age: 86400', /"mx" is missing/],
    ['version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: xxx', /not a whole number/],
    ['version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 31557601', /above the maximum/],
    ['version: STSv1\nmx: mail.loc\nmax_age: 86400', /"mode" is missing/],
    ['version: STSv1\nmode: doubt\nmx: mail.loc\nmax_age: 86400', /not one of enforce, testing, none/],
    ['mode: enforce\nversion: STSv1\nmx: mail.loc\nmax_age: 86400', /not the first line/],
    ['version: STSv2\nmode: enforce\nmx: mail.loc\nmax_age: 86400', /expected "STSv1"/],
    ['version: STSv1\nmode: enforce\nmx: mail..loc\nmax_age: 86400', /not a host name/],
    ['version: STSv1\nmode: enforce\nmx: a.*.loc\nmax_age: 86400', /not a host name/],
    [' version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 86400', /invalid key/],
    ['version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 86400\nfoo: a\u0000b', /control characters/],
    ['version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 12345678901', /not a whole number/],
  ])('rejects %j', (text, message) => {
    const p = parseMtaStsPolicy(text);
    expect(p.valid).toBe(false);
    expect(p.errors.join('\n')).toMatch(message);
  });

  it('ignores unknown keys, keeps them, and warns about keys in the wrong case', () => {
    const p = parseMtaStsPolicy(`${GOOD}x-note: hello world\r\nMode: testing\r\n`);
    expect(p.valid).toBe(true);
    expect(p.mode).toBe('enforce');
    expect(p.extensions).toEqual([
      { name: 'x-note', value: 'hello world' },
      { name: 'Mode', value: 'testing' },
    ]);
    expect(p.warnings.join()).toMatch(/case-sensitive/);
  });

  it('uses the first of repeated fields and warns', () => {
    const p = parseMtaStsPolicy(`${GOOD}mode: none\r\n`);
    expect(p.mode).toBe('enforce');
    expect(p.valid).toBe(true);
    expect(p.warnings.join()).toMatch(/more than once/);
  });

  it('keeps the problem list short for large garbage', () => {
    const p = parseMtaStsPolicy('x\n'.repeat(30_000));
    expect(p.errors.length).toBeLessThanOrEqual(MTA_STS_MAX_REPORTED_PROBLEMS + 1);
    expect(p.errors.at(-1)).toMatch(/more$/);
  });

  it('never throws and is consistent on any input (property)', () => {
    const line = fc.oneof(
      fc.string(),
      fc.constantFrom('version: STSv1', 'mode: enforce', 'mode: none', 'mx: *.example.org', 'max_age: 86400'),
      fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 })).map(([k, v]) => `${k}: ${v}`),
    );
    const doc = fc
      .tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'))
      .map(([ls, eol]) => ls.join(eol));
    fc.assert(
      fc.property(fc.oneof(doc, fc.string(), fc.string({ unit: 'binary' })), (text) => {
        const p = parseMtaStsPolicy(text);
        expect(p.valid).toBe(p.errors.length === 0);
        if (p.valid) {
          expect(p.version).toBe('STSv1');
          expect(['enforce', 'testing', 'none']).toContain(p.mode);
          expect(p.maxAge).toBeLessThanOrEqual(31_557_600);
          if (p.mode !== 'none') expect(p.mx.length).toBeGreaterThan(0);
        }
        for (const m of p.mx) expect(isValidMxPattern(m)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips generated valid policies (property)', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);
    const host = fc.array(label, { minLength: 2, maxLength: 4 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(
        fc.constantFrom('enforce', 'testing'),
        fc.uniqueArray(host, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 31_557_600 }),
        fc.constantFrom('\n', '\r\n'),
        (mode, hosts, age, eol) => {
          const text = [
            'version: STSv1',
            `mode: ${mode}`,
            ...hosts.map((h) => `mx: ${h}`),
            `max_age: ${age}`,
          ].join(eol);
          const p = parseMtaStsPolicy(text);
          expect(p.errors).toEqual([]);
          expect(p).toMatchObject({ mode, mx: hosts, maxAge: age });
        },
      ),
    );
  });
});

describe('mxMatchesPattern', () => {
  it.each([
    ['mail.example.org', 'mail.example.org', true],
    ['MAIL.Example.org.', 'mail.example.org', true],
    ['mx1.example.org', '*.example.org', true],
    ['example.org', '*.example.org', false],
    ['a.b.example.org', '*.example.org', false],
    ['mx1.example.org', 'mx2.example.org', false],
    ['mx1.example.org', '*.org', false],
    ['xexample.org', '*.example.org', false],
    ['', '*.example.org', false],
  ])('%s against %s → %s', (host, pattern, want) => {
    expect(mxMatchesPattern(host, pattern)).toBe(want);
  });
});
