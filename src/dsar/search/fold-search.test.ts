import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readMessageFile } from '../sources/read-file.js';
import { FoldSearch } from './fold-search.js';

/** What the pre-filter must never miss: an ASCII case-insensitive occurrence. */
const occurs = (hay: string, needles: string[]): boolean =>
  needles.some((n) => hay.toLowerCase().includes(n.toLowerCase()));

const needlesArb = fc.array(
  fc.string({ unit: fc.constantFrom(...'abxX.@-oRg0'.split('')), minLength: 1, maxLength: 6 }),
  { minLength: 1, maxLength: 3 },
);
const ascii = fc.string({ unit: fc.constantFrom(...'aAbBxX.@-_oOrRgG 0\n\t=?'.split('')), maxLength: 200 });

describe('FoldSearch', () => {
  it('finds exactly the ASCII case-insensitive occurrences in text of letters and punctuation', () => {
    // Over these characters folding (byte | 0x20) pairs letters only, so the answer is exact.
    fc.assert(
      fc.property(ascii, needlesArb, (hay, needles) => {
        expect(new FoldSearch(needles).any(Buffer.from(hay, 'latin1'))).toBe(occurs(hay, needles));
      }),
      { numRuns: 2000 },
    );
  });

  it('never misses an occurrence among arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), needlesArb, fc.nat(300), (bytes, needles, at) => {
        const hay = Buffer.from(bytes);
        const n = needles[0] as string;
        const cut = Math.min(at, hay.length);
        const mixed = [...n].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
        const withNeedle = Buffer.concat([
          hay.subarray(0, cut),
          Buffer.from(mixed, 'latin1'),
          hay.subarray(cut),
        ]);
        expect(new FoldSearch(needles).any(withNeedle)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('says no when only a longer prefix or a split needle is there', () => {
    const s = new FoldSearch(['x.org']);
    expect(s.any(Buffer.from('x.or'))).toBe(false);
    expect(s.any(Buffer.from('x. org and x.orh'))).toBe(false);
    expect(s.any(Buffer.from('ANN@X.ORG'))).toBe(true);
    expect(s.any(Buffer.from(`${'a'.repeat(100000)}X.Org`))).toBe(true);
    expect(s.any(Buffer.alloc(0))).toBe(false);
  });

  it('finds a needle at every position of short and odd-sized inputs, and none cut at the end', () => {
    const s = new FoldSearch(['ann@x.org']);
    for (let len = 9; len < 200; len++)
      for (let at = 0; at + 9 <= len; at++) {
        const hay = Buffer.alloc(len, 'n');
        hay.write('aNN@x.ORG', at, 'latin1');
        expect(s.any(hay)).toBe(true);
        expect(s.any(hay.subarray(0, at + 8))).toBe(false);
        // The same in place, in the scratch buffer, with the rest of the needle right after the end.
        hay.copy(s.scratch.buf);
        expect(s.any(s.scratch.buf.subarray(0, len))).toBe(true);
        expect(s.any(s.scratch.buf.subarray(0, at + 8))).toBe(false);
      }
  });

  it('searches bytes from elsewhere a window at a time, missing nothing between two windows', () => {
    const s = new FoldSearch(['ann@x.org']);
    for (const at of [0, 65530, 65531, 65535, 65536, 131060, 199990]) {
      const hay = Buffer.alloc(200000, 'q');
      hay.write('Ann@X.Org', at, 'latin1');
      expect([at, s.any(hay)]).toEqual([at, true]);
      expect(s.any(hay.subarray(0, at + 8))).toBe(false);
    }
  });

  it('searches bytes read into its scratch buffer where they are, also after the buffer grew', () => {
    const s = new FoldSearch(['ann']);
    const big = Buffer.alloc(300000, 'z');
    big.write('ANN', 299997, 'latin1');
    const before = s.scratch.buf;
    s.scratch.resize?.(big.length);
    expect(s.scratch.buf.length).toBeGreaterThanOrEqual(big.length);
    expect(s.scratch.buf.buffer).not.toBe(before.buffer);
    big.copy(s.scratch.buf);
    expect(s.any(s.scratch.buf.subarray(0, big.length))).toBe(true);
    expect(s.any(s.scratch.buf.subarray(0, big.length - 1))).toBe(false);
  });

  it('is the read buffer of readMessageFile', () => {
    const s = new FoldSearch(['ann']);
    const raw = readMessageFile(new URL(import.meta.url).pathname, s.scratch);
    expect(Buffer.isBuffer(raw) && raw.buffer).toBe(s.scratch.buf.buffer);
  });

  it('takes printable ASCII needles only', () => {
    expect(() => new FoldSearch(['ünï'])).toThrow(/printable ASCII/);
  });
});
