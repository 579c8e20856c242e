import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHostname, orgDomain, parseMailto, parseReportUri, parseReportUriList } from './uri.js';

describe('report URIs', () => {
  it('parses mailto with percent-encoding and size suffixes', () => {
    expect(parseReportUri('mailto:dmarc%2Brua@Example.ORG!50k', true)).toMatchObject({
      scheme: 'mailto',
      address: 'dmarc+rua@example.org',
      domain: 'example.org',
      maxSize: { value: 50, unit: 'k' },
    });
    expect(parseReportUri('mailto:a@example.org!50', true).maxSize).toEqual({ value: 50, unit: '' });
  });

  it('does not treat "!" as a size suffix when sizes are not allowed', () => {
    expect(parseReportUri('mailto:a@example.org!50', false).problem).toBe('invalid recipient domain');
  });

  it('rejects what receivers cannot use', () => {
    expect(parseMailto('mailto:')).toEqual({ problem: 'no recipient address' });
    expect(parseMailto('mailto:a@localhost')).toEqual({ problem: 'invalid recipient domain' });
    expect(parseMailto('mailto:a%ZZ@example.org')).toEqual({ problem: 'invalid percent-encoding' });
    expect(parseReportUri('https://', false).problem).toBe('invalid https: URI');
    expect(parseReportUri('https://reports.example.org/tlsrpt', false)).toMatchObject({
      domain: 'reports.example.org',
    });
  });

  it('splits lists on commas and flags empty items', () => {
    const list = parseReportUriList(' mailto:a@example.org ,mailto:b@example.net,', true);
    expect(list.map((u) => u.domain ?? u.problem)).toEqual(['example.org', 'example.net', 'empty URI']);
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), (s) => {
        for (const u of parseReportUriList(s, true)) expect(typeof u.raw).toBe('string');
        expect(typeof isHostname(s)).toBe('boolean');
        expect(typeof orgDomain(s)).toBe('string');
      }),
    );
  });
});

describe('orgDomain', () => {
  it('uses the public suffix list', () => {
    expect(orgDomain('mail.example.co.uk')).toBe('example.co.uk');
    expect(orgDomain('Example.ORG.')).toBe('example.org');
    expect(orgDomain('co.uk')).toBe('co.uk');
  });
});
