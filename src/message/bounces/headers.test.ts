import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOUNCE_MAX_HEADER_BYTES } from '../../core/limits.js';
import { parseHeaderBlock, parseStructured } from './headers.js';

const fieldName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
// Printable ASCII words without colons at line starts; folding inserts CRLF + tab between words.
const word = fc.stringMatching(/^[!-9;-~]{1,12}$/);

describe('parseHeaderBlock', () => {
  it('unfolds continuation lines and finds the body', () => {
    const raw = 'Subject: one\r\n two\r\nX-A: b\r\n\r\nbody';
    const h = parseHeaderBlock(raw);
    expect(h.fields.map((f) => [f.name, f.value])).toEqual([
      ['subject', 'one two'],
      ['x-a', 'b'],
    ]);
    expect(raw.slice(h.bodyStart)).toBe('body');
    expect(h.terminated).toBe(true);
  });

  it('decodes RFC 2047 encoded words', () => {
    const h = parseHeaderBlock('Subject: =?utf-8?q?R=C3=A9ponse_automatique?=\n\n');
    expect(h.fields[0]?.value).toBe('Réponse automatique');
  });

  it('reports a header-only input as unterminated', () => {
    const h = parseHeaderBlock('From: a@example.org\nSubject: x');
    expect(h.terminated).toBe(false);
    expect(h.fields).toHaveLength(2);
  });

  it('cuts a 1 MB header line and says so', () => {
    const h = parseHeaderBlock(`X-Big: ${'a'.repeat(1024 * 1024)}\n\nbody`);
    expect(h.fields[0]?.raw.length).toBe(BOUNCE_MAX_HEADER_BYTES);
    expect(h.problems.join()).toMatch(/cut/);
  });

  it('round-trips generated fields through folding (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fieldName, fc.array(word, { minLength: 1, maxLength: 8 })), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.constantFrom('\r\n', '\n'),
        (fields, eol) => {
          const raw =
            fields.map(([n, words]) => `${n}: ${words.join(`${eol}\t`)}`).join(eol) + eol + eol + 'BODY';
          const h = parseHeaderBlock(raw);
          expect(h.fields.map((f) => [f.name, f.raw])).toEqual(
            fields.map(([n, words]) => [n.toLowerCase(), words.join(' ')]),
          );
          expect(raw.slice(h.bodyStart)).toBe('BODY');
        },
      ),
    );
  });

  it('never throws and stays inside the input on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (s) => {
        const h = parseHeaderBlock(s);
        expect(h.bodyStart).toBeGreaterThanOrEqual(0);
        expect(h.bodyStart).toBeLessThanOrEqual(s.length);
      }),
    );
  });
});

describe('parseStructured', () => {
  it('reads quoted and bare parameters', () => {
    const v = parseStructured('Multipart/Report; report-type=delivery-status;\tboundary="a;b=c"');
    expect(v.value).toBe('multipart/report');
    expect(v.params['report-type']).toBe('delivery-status');
    expect(v.params.boundary).toBe('a;b=c');
  });
});
