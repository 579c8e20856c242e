import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, findHeaderEnd, parseHeaderBlock, serializeHeaders, unfold } from './header-fields.js';

const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
// Values as latin1 strings: any byte but CR/LF, optionally folded.
const lineArb = fc
  .array(
    fc.integer({ min: 0, max: 255 }).filter((b) => b !== 10 && b !== 13),
    { maxLength: 60 },
  )
  .map((b) => Buffer.from(b).toString('latin1'));
const fieldArb = fc.record({
  name: nameArb,
  first: lineArb,
  folds: fc.array(
    lineArb.map((l) => `\t${l}`),
    { maxLength: 3 },
  ),
});

describe('parseHeaderBlock', () => {
  it('round-trips any block of fields byte for byte (CRLF and LF)', () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 12 }), fc.constantFrom('\r\n', '\n'), (fields, eol) => {
        const text = fields.map((f) => [`${f.name}:${f.first}`, ...f.folds].join(eol) + eol).join('');
        const parsed = parseHeaderBlock(text + eol);
        expect(serializeHeaders(parsed.fields, eol)).toBe(text);
        expect(parsed.fields.map((f) => f.name)).toEqual(fields.map((f) => f.name));
      }),
    );
  });

  it('never throws and reproduces every line before the empty line, on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const text = Buffer.from(bytes).toString('latin1');
        const parsed = parseHeaderBlock(text);
        const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
        const stop = lines.findIndex((l) => l === '\n' || l === '\r\n');
        let expected = (stop < 0 ? lines : lines.slice(0, stop)).join('');
        if (expected !== '' && !expected.endsWith('\n')) expected += parsed.eol;
        expect(serializeHeaders(parsed.fields, parsed.eol)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps lines that are not fields verbatim and reports them without content', () => {
    const p = parseHeaderBlock('From alice@example.com Tue Jan  6 10:00:00 2026\nSubject: x\n garbage\n\n');
    expect(p.fields[0]).toEqual({ name: '', value: 'From alice@example.com Tue Jan  6 10:00:00 2026\n' });
    expect(p.fields[1]).toEqual({ name: 'Subject', value: ' x\n garbage\n' });
    expect(p.problems).toEqual(['line 1: not a header field']);
  });

  it('handles a 1 MB header line and NUL bytes', () => {
    const big = `X-Big: ${'a'.repeat(1024 * 1024)}\r\nSub\0ject: x\0y\r\nUser-Agent: z\r\n\r\n`;
    const p = parseHeaderBlock(big);
    expect(p.fields.map((f) => f.name)).toEqual(['X-Big', '', 'User-Agent']);
    expect(decodeValue(p.fields[0]!.value).length).toBeLessThanOrEqual(65_536);
  });
});

describe('findHeaderEnd', () => {
  it('finds the empty line wherever a stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(fieldArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('\r\n', '\n'),
        fc.nat(),
        (fields, eol, cut) => {
          const head = fields.map((f) => [`${f.name}:${f.first}`, ...f.folds].join(eol) + eol).join('') + eol;
          const buf = Buffer.from(`${head}body${eol}`, 'latin1');
          const whole = findHeaderEnd(buf);
          expect(whole).toBe(Buffer.byteLength(head, 'latin1'));
          // Searching a prefix then resuming (as the streaming sanitiser does) gives the same answer.
          const k = cut % buf.length;
          const first = findHeaderEnd(buf.subarray(0, k));
          if (first < 0) expect(findHeaderEnd(buf, Math.max(0, k - 3))).toBe(whole);
          else expect(first).toBe(whole);
        },
      ),
    );
  });

  it('treats a leading empty line as an empty header block', () => {
    expect(findHeaderEnd(Buffer.from('\r\nbody'))).toBe(2);
    expect(findHeaderEnd(Buffer.from('\nbody'))).toBe(1);
    expect(findHeaderEnd(Buffer.from('Subject: x\r\n'))).toBe(-1);
  });
});

describe('decodeValue', () => {
  it('unfolds and decodes RFC 2047 encoded words and raw UTF-8', () => {
    expect(decodeValue(' =?UTF-8?B?SsO8cmdlbg==?=\r\n =?iso-8859-1?Q?M=FCller?=\r\n')).toBe('JürgenMüller');
    expect(decodeValue(Buffer.from(' Jürgen\n', 'utf8').toString('latin1'))).toBe('Jürgen');
    expect(unfold(' a\r\n\tb\r\n')).toBe('a\tb');
  });

  it('leaves broken encoded words readable', () => {
    expect(decodeValue(' =?bogus-charset?X?zzz?= tail')).toContain('tail');
  });
});

describe('unfold (property)', () => {
  it('equals removing folds, the final line break and outer whitespace', () => {
    const reference = (v: string): string =>
      v
        .replace(/\r?\n(?=[ \t])/g, '')
        .replace(/\r?\n$/, '')
        .trim();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\r', '\n', 'é', '=') }), (v) => {
        expect(unfold(v)).toBe(reference(v));
      }),
      { numRuns: 3000 },
    );
  });
});
