import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasMisplacedVersion, isDmarcRecord, parseDmarc, renderDmarc, seriousProblems } from './parse.js';

const kinds = (text: string): string[] => parseDmarc(text).problems.map((p) => p.kind);

describe('parseDmarc', () => {
  it('reads a full record with defaults for the rest', () => {
    const r = parseDmarc('v=DMARC1; p=reject; sp=quarantine; rua=mailto:agg@example.org!10m; adkim=s');
    expect(r).toMatchObject({
      p: 'reject',
      sp: 'quarantine',
      policy: 'reject',
      subdomainPolicy: 'quarantine',
    });
    expect(r).toMatchObject({ pct: 100, adkim: 's', aspf: 'r', fo: ['0'], ri: 86400 });
    expect(r.rua[0]).toMatchObject({ scheme: 'mailto', address: 'agg@example.org', domain: 'example.org' });
    expect(r.rua[0]?.maxSize).toEqual({ value: 10, unit: 'm' });
    expect(r.problems).toEqual([]);
  });

  it('treats tag names and policy values case-insensitively', () => {
    const r = parseDmarc('v=DMARC1; P=Reject; ADKIM=S');
    expect(r.p).toBe('reject');
    expect(r.adkim).toBe('s');
  });

  it('reports unknown tags without making them serious', () => {
    const r = parseDmarc('v=DMARC1; p=none; foo=bar');
    expect(r.unknownTags).toEqual(['foo']);
    expect(kinds('v=DMARC1; p=none; foo=bar')).toEqual(['unknown-tag']);
    expect(seriousProblems(r)).toEqual([]);
  });

  it('accepts the DMARCbis tags np, psd and t', () => {
    expect(kinds('v=DMARC1; p=reject; np=reject; psd=n; t=y')).toEqual([]);
    expect(kinds('v=DMARC1; p=reject; t=maybe')).toEqual(['bad-value']);
  });

  it('reports bad values and keeps defaults', () => {
    const r = parseDmarc('v=DMARC1; p=reject; pct=150; adkim=x; fo=1:z; ri=-1; rf=iodef');
    expect(r.pct).toBe(100);
    expect(r.adkim).toBe('r');
    expect(r.fo).toEqual(['1']);
    expect(r.problems.filter((p) => p.kind === 'bad-value').map((p) => p.tag)).toEqual([
      'pct',
      'adkim',
      'fo',
      'rf',
      'ri',
    ]);
  });

  it('reports v not first, wrong version case and missing v', () => {
    expect(kinds('p=reject; v=DMARC1')).toContain('version-not-first');
    expect(kinds('v=dmarc1; p=reject')).toContain('bad-version');
    expect(kinds('p=reject')).toContain('missing-version');
  });

  it('treats a missing p with a valid rua as p=none (RFC 7489 §6.6.3)', () => {
    const r = parseDmarc('v=DMARC1; rua=mailto:agg@example.org');
    expect(r.policy).toBe('none');
    expect(kinds('v=DMARC1; rua=mailto:agg@example.org')).toContain('missing-policy');
  });

  it('applies no policy when p is missing and rua is not usable', () => {
    expect(parseDmarc('v=DMARC1; rua=agg@example.org').policy).toBeNull();
    expect(parseDmarc('v=DMARC1').policy).toBeNull();
  });

  it('degrades an invalid sp to p=none like an invalid p', () => {
    expect(parseDmarc('v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.org').policy).toBe('none');
    expect(parseDmarc('v=DMARC1; p=reject; sp=bogus').policy).toBeNull();
  });

  it('reports each malformed report URI', () => {
    const r = parseDmarc(
      'v=DMARC1; p=none; rua=mailto:ok@example.org, https://x.example/r, nonsense, mailto:a@b!12q',
    );
    expect(r.rua.map((u) => u.problem ?? 'ok')).toEqual([
      'ok',
      'ok',
      'not a URI (no scheme)',
      'malformed size limit after "!"',
    ]);
    expect(r.problems.filter((p) => p.tag === 'rua')).toHaveLength(2);
  });

  it('never throws and always yields a coherent record (property)', () => {
    const tagish = fc
      .array(
        fc.tuple(
          fc.constantFrom('v', 'p', 'sp', 'pct', 'rua', 'ruf', 'fo', 'adkim', 'x', 'P', ''),
          fc.oneof(fc.string(), fc.constantFrom('DMARC1', 'reject', 'mailto:a@example.org!5k', '100')),
        ),
        { maxLength: 8 },
      )
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join(';'));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), tagish), (s) => {
        const r = parseDmarc(s);
        expect(r.pct).toBeGreaterThanOrEqual(0);
        expect(r.pct).toBeLessThanOrEqual(100);
        expect([null, 'none', 'quarantine', 'reject']).toContain(r.policy);
        expect(['r', 's']).toContain(r.adkim);
        for (const p of r.problems) expect(typeof p.message).toBe('string');
        expect(() => renderDmarc(r, { p: 'reject' })).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

describe('record discovery helpers', () => {
  it('recognises records that start with v=DMARC1', () => {
    expect(isDmarcRecord('v=DMARC1; p=none')).toBe(true);
    expect(isDmarcRecord('v = DMARC1')).toBe(true);
    expect(isDmarcRecord('v=DMARC10; p=none')).toBe(false);
    expect(isDmarcRecord('p=none; v=DMARC1')).toBe(false);
    expect(hasMisplacedVersion('p=none; v=DMARC1')).toBe(true);
    expect(hasMisplacedVersion('v=DMARC1; p=none')).toBe(false);
  });
});

describe('renderDmarc', () => {
  it('keeps published order, applies changes and puts v first', () => {
    const r = parseDmarc('p=none; v=DMARC1; rua=mailto:a@example.org; ruf=mailto:f@example.org');
    expect(renderDmarc(r, { p: 'reject', ruf: undefined })).toBe(
      'v=DMARC1; p=reject; rua=mailto:a@example.org',
    );
  });

  it('adds new tags after the policy tags', () => {
    const r = parseDmarc('v=DMARC1; p=reject; adkim=s');
    expect(renderDmarc(r, { rua: 'mailto:d@example.org' })).toBe(
      'v=DMARC1; p=reject; rua=mailto:d@example.org; adkim=s',
    );
    expect(renderDmarc(parseDmarc('v=DMARC1; rua=mailto:d@example.org'), { p: 'none' })).toBe(
      'v=DMARC1; p=none; rua=mailto:d@example.org',
    );
  });
});
