import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetstringDecoder, encodeNetstring } from './netstring.js';

const MAX = 1024;

/** Splits bytes at the given cut points (each taken modulo the length). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

describe('encodeNetstring', () => {
  it('frames a payload with its byte length', () => {
    expect(encodeNetstring('OK secure').toString()).toBe('9:OK secure,');
    expect(encodeNetstring('').toString()).toBe('0:,');
    expect(encodeNetstring('é').toString()).toBe('2:é,');
  });
});

describe('NetstringDecoder', () => {
  it('decodes a Postfix request and keeps a partial frame for the next chunk', () => {
    const d = new NetstringDecoder(MAX);
    expect(d.push(Buffer.from('27:postfix sts-good.example:25,9:post')).map(String)).toEqual([
      'postfix sts-good.example:25',
    ]);
    expect(d.buffered).toBe(6);
    expect(d.push(Buffer.from('fix x,')).map(String)).toEqual(['postfix x']);
    expect(d.buffered).toBe(0);
  });

  it.each([
    ['abc', 'decimal digits'],
    ['03:abc,', 'leading zero'],
    [':abc,', 'no length'],
    ['3:abcd', 'comma'],
    ['99999:', 'longer than'],
    ['1025:', 'longer than'],
    ['123456789012345678901234567890', 'longer than'],
  ])('rejects %j (%s) and stays failed', (input, why) => {
    const d = new NetstringDecoder(MAX);
    expect(d.push(Buffer.from(input))).toEqual([]);
    expect(d.error).toContain(why);
    expect(d.push(Buffer.from('1:a,'))).toEqual([]);
    expect(d.buffered).toBe(0);
  });

  it('returns the frames before a malformed one', () => {
    const d = new NetstringDecoder(MAX);
    expect(d.push(Buffer.from('1:a,2:bc,x:')).map(String)).toEqual(['a', 'bc']);
    expect(d.error).toMatch(/digits/);
  });

  it('decodes any sequence of payloads however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (payloads, cuts) => {
          const wire = Buffer.concat(payloads.map((p) => encodeNetstring(Buffer.from(p))));
          const d = new NetstringDecoder(MAX);
          const got = chunked(wire, cuts).flatMap((c) => d.push(c));
          expect(got.map((b) => Buffer.from(b).toString('hex'))).toEqual(
            payloads.map((p) => Buffer.from(p).toString('hex')),
          );
          expect(d.buffered).toBe(0);
        },
      ),
    );
  });

  it('on arbitrary bytes never throws, never yields an oversized frame and holds at most one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 6 }), (chunks) => {
        const d = new NetstringDecoder(MAX);
        for (const c of chunks) {
          for (const frame of d.push(Buffer.from(c))) expect(frame.length).toBeLessThanOrEqual(MAX);
          // Digits, colon, payload and comma of one frame at most; never an unbounded buffer.
          expect(d.buffered).toBeLessThanOrEqual(MAX + 2 + String(MAX).length);
          if (d.error !== undefined) expect(d.buffered).toBe(0);
        }
      }),
    );
  });

  it('decodes valid frames and then reports garbage that follows them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 50 }), { maxLength: 5 }),
        fc.constantFrom('x', ':', '01:', '5:abcdefg'),
        (payloads, junk) => {
          const d = new NetstringDecoder(MAX);
          const wire = Buffer.concat([...payloads.map((p) => encodeNetstring(p)), Buffer.from(junk)]);
          expect(d.push(wire).map((b) => b.toString('utf8'))).toEqual(payloads);
          expect(d.error).toBeDefined();
        },
      ),
    );
  });

  it('never buffers an oversized frame: it fails as soon as the length is known', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX + 1, max: 10_000_000 }), (len) => {
        const d = new NetstringDecoder(MAX);
        expect(d.push(Buffer.from(`${len}:`))).toEqual([]);
        expect(d.error).toMatch(/longer than/);
      }),
    );
  });
});
