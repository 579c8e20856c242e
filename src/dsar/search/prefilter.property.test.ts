import fc from 'fast-check';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { compileIdentity } from '../identity.js';
import { scanMessage } from './message.js';
import { compilePrefilter } from './prefilter.js';

/*
 * Random messages for the pre-filter's property test: every way this codebase knows for a name or
 * an address to reach the full scan without showing in the raw bytes (encodings, charsets,
 * parameter quoting, RFC 2231, case folding), mixed with near misses (joann@, other domains).
 */

/** Subjects the property is checked for: plain, with a name, with folding letters, IDN, name only. */
const SUBJECTS = [
  { addresses: ['ann@x.org'], names: [] },
  { addresses: ['ann@x.org'], names: ['Ann Example'] },
  { addresses: ['sk@kiss.example'], names: [] },
  { addresses: ['ann@bücher.example'], names: [] },
  { addresses: [], names: ['Søren Kierkegaard'] },
];

const FRAGMENTS = [
  'ann@x.org',
  'Ann@X.ORG',
  'ann+tag@x.org',
  'joann@x.org',
  'ann%40x.org',
  'ann&#64;x.org',
  'x.org',
  'sk@kiss.example',
  'SK+a@KISS.Example',
  'sk@\u212aiss.example',
  'sk@ki\u017fs.example',
  'ask@kiss.example',
  'ann@bücher.example',
  'ann@BU\u0308CHER.example',
  'ann@xn--bcher-kva.example',
  'Ann Example',
  'ANN, example',
  'Joann Example',
  'Søren Kierkegaard',
  'SØREN KIERKEGAARD',
  'Kierkegaard',
  'bob@y.example',
  'hello',
  'Grüße',
  'über',
  '',
];

// Mostly harmless words, so that many messages can be ruled out and the property says something.
const FILLER = ['lunch', 'meeting at noon', 'dan@z.example', 'see you', 'Grüße', 'x', 'org', 'notes'];
const word = fc.oneof(
  { arbitrary: fc.constantFrom(...FRAGMENTS), weight: 1 },
  { arbitrary: fc.constantFrom(...FILLER), weight: 4 },
);
const text = fc.array(word, { minLength: 0, maxLength: 4 }).map((a) => a.join(' '));
const caseOf = (s: string, flips: number[]): string =>
  [...s].map((c, i) => (flips.includes(i % 8) ? c.toUpperCase() : c)).join('');

/** A header field value in one of the forms a sender may use. */
const headerValue = fc
  .tuple(
    text,
    fc.constantFrom('raw', 'raw', 'raw', 'raw', 'b', 'q', 'latin1', 'folded'),
    fc.array(fc.nat(7), { maxLength: 3 }),
  )
  .map(([t, form, flips]) => {
    const v = caseOf(t, flips);
    if (form === 'b') return Buffer.from(libmime.encodeWord(v, 'B'), 'latin1');
    if (form === 'q') return Buffer.from(libmime.encodeWord(v, 'Q'), 'latin1');
    if (form === 'latin1') return Buffer.from(v, 'latin1');
    if (form === 'folded') return Buffer.from(v.replace(' ', '\r\n '), 'utf8');
    return Buffer.from(v, 'utf8');
  });

const CHARSETS = [
  'utf-8',
  'us-ascii',
  'iso-8859-1',
  'windows-1252',
  'koi8-r',
  'utf-16',
  'UTF-16LE',
  'iso-2022-jp',
  'gb18030',
  'GBK',
  'shift_jis',
  'utf-7',
  'x-bogus',
];

/** `charset=...` as a Content-Type parameter, spelled in one of several legal or tricky ways. */
const charsetParam = fc
  .tuple(fc.constantFrom(...CHARSETS), fc.constantFrom('token', 'quoted', 'escaped', 'rfc2231', 'spaced'))
  .map(([cs, style]) => {
    if (style === 'quoted') return { cs, param: `charset="${cs}"` };
    if (style === 'escaped') return { cs, param: `charset="${cs.replace('-', '\\-')}"` };
    if (style === 'rfc2231') return { cs, param: `charset*=''${cs}` };
    if (style === 'spaced') return { cs, param: `CharSet = ${cs}` };
    return { cs, param: `charset=${cs}` };
  });

/** An attachment name parameter, spelled in one of the ways libmime decodes. */
const filenameParam = fc
  .tuple(
    fc.constantFrom(...FRAGMENTS),
    fc.constantFrom('quoted', 'token', 'escaped', 'split-quote', 'rfc2231', 'rfc2231-parts', 'ew'),
    fc.nat(30),
  )
  .map(([t, style, cut]) => {
    const v = t.replace(/[\s;]/g, '_') || 'file';
    const at = cut % (v.length + 1);
    switch (style) {
      case 'token':
        return `filename=${v}`;
      case 'escaped':
        return `filename="${[...v].map((c) => `\\${c}`).join('')}"`;
      case 'split-quote':
        return `filename=${v.slice(0, at)}"${v.slice(at)}"`;
      case 'rfc2231':
        return `filename*=utf-8''${[...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16)}`).join('')}`;
      case 'rfc2231-parts':
        return `filename*0="${v.slice(0, at)}"; filename*1="${v.slice(at)}"`;
      case 'ew':
        return `filename="${libmime.encodeWord(v, 'B')}"`;
      default:
        return `filename="${v}"`;
    }
  });

/** Raw byte runs that decode to a character only some charsets or folds reveal. */
const TRAPS: Buffer[] = [
  Buffer.from('8136bf32', 'hex'), // KELVIN SIGN in GB18030
  Buffer.from('81309737', 'hex'), // LONG S in GB18030
  Buffer.from('sk@\u212aiss.example', 'utf8'),
  Buffer.from('\x1b(B', 'latin1'), // ISO-2022-JP: back to ASCII, invisible in the text
  Buffer.from([0xe9, 0xfc]),
];

const GB18030: Record<string, Buffer> = {
  '\u212a': Buffer.from('8136bf32', 'hex'),
  '\u017f': Buffer.from('81309737', 'hex'),
};

/** Text in a charset, the characters that matter encoded properly, plus an optional trap. */
function encodeText(t: string, cs: string, trap: Buffer | undefined, at: number): Buffer {
  const lower = cs.toLowerCase();
  let bytes: Buffer;
  if (lower.startsWith('utf-16')) bytes = Buffer.from(t, 'utf16le');
  else if (lower === 'iso-8859-1' || lower === 'windows-1252') bytes = Buffer.from(t, 'latin1');
  else if (lower === 'gb18030' || lower === 'gbk')
    bytes = Buffer.concat([...t].map((c) => GB18030[c] ?? Buffer.from(c, 'utf8')));
  else if (lower === 'iso-2022-jp') {
    // An escape back to ASCII inside a word: invisible once decoded.
    const i = t.length ? at % t.length : 0;
    bytes = Buffer.from(`${t.slice(0, i)}\x1b(B${t.slice(i)}`, 'latin1');
  } else bytes = Buffer.from(t, 'utf8');
  if (!trap) return bytes;
  const i = bytes.length ? at % bytes.length : 0;
  return Buffer.concat([bytes.subarray(0, i), trap, bytes.subarray(i)]);
}

function qp(bytes: Buffer, breakEvery: number): string {
  let out = '';
  let col = 0;
  for (const b of bytes) {
    const ch =
      b === 0x0a
        ? '\n'
        : b > 0x7e || b === 0x3d || b < 0x20
          ? `=${b.toString(16).toUpperCase().padStart(2, '0')}`
          : String.fromCharCode(b);
    out += ch;
    if (++col % breakEvery === 0) out += '=\n';
  }
  return out;
}

/** The arbitrary's value one time in four, else undefined. */
const rarely = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: a, weight: 1 });

/** One leaf part: its header lines and its body. */
const leaf = fc
  .record({
    type: fc.constantFrom('text/plain', 'text/html', 'application/octet-stream'),
    charset: rarely(charsetParam),
    cte: fc.constantFrom(
      '7bit',
      '7bit',
      '7bit',
      '8bit',
      '8bit',
      'base64',
      'BASE64',
      'quoted-printable',
      'x-uuencode',
    ),
    filename: rarely(filenameParam),
    body: text,
    trap: rarely(fc.constantFrom(...TRAPS)),
    at: fc.nat(200),
    breakEvery: fc.integer({ min: 1, max: 9 }),
  })
  .map((p) => {
    const ct = `Content-Type: ${p.type}${p.charset ? `; ${p.charset.param}` : ''}\n`;
    const cd = p.filename ? `Content-Disposition: attachment;\n ${p.filename}\n` : '';
    const bytes = encodeText(`${p.body}\n`, p.charset?.cs ?? 'utf-8', p.trap, p.at);
    const cte = p.cte.toLowerCase();
    const body =
      cte === 'base64'
        ? Buffer.from(`${bytes.toString('base64').replace(/.{1,76}/g, '$&\n')}`, 'latin1')
        : cte === 'quoted-printable'
          ? Buffer.from(qp(bytes, p.breakEvery), 'latin1')
          : bytes;
    return Buffer.concat([Buffer.from(`${ct}Content-Transfer-Encoding: ${p.cte}\n${cd}\n`, 'latin1'), body]);
  });

const FIELDS = ['From', 'To', 'Cc', 'Reply-To', 'Subject', 'X-Note'];
const headers = fc
  .array(fc.tuple(fc.constantFrom(...FIELDS), headerValue), { maxLength: 4 })
  .map((hs) =>
    Buffer.concat(hs.flatMap(([n, v]) => [Buffer.from(`${n}: `, 'latin1'), v, Buffer.from('\n')])),
  );

/** A message: headers, then a leaf, a multipart of leaves, or a forwarded message. */
const message: fc.Arbitrary<Buffer> = fc
  .tuple(
    headers,
    fc.constantFrom('leaf', 'leaf', 'multipart', 'rfc822'),
    fc.array(leaf, { minLength: 1, maxLength: 3 }),
    headers,
  )
  .map(([h, shape, leaves, inner]) => {
    if (shape === 'leaf') return Buffer.concat([h, leaves[0] as Buffer]);
    if (shape === 'rfc822')
      return Buffer.concat([h, Buffer.from('Content-Type: message/rfc822\n\n'), inner, leaves[0] as Buffer]);
    const parts = leaves.flatMap((l) => [Buffer.from('--b1\n'), l, Buffer.from('\n')]);
    return Buffer.concat([
      h,
      Buffer.from('Content-Type: multipart/mixed; boundary="b1"\n\npreamble\n'),
      ...parts,
      Buffer.from('--b1--\n'),
    ]);
  });

const checks = SUBJECTS.map((s) => ({ id: compileIdentity(s), canMatch: compilePrefilter(s) }));

describe('pre-filter (property)', () => {
  it('only rules out messages in which the full scan finds nothing', () => {
    fc.assert(
      fc.property(message, (raw) => {
        for (const { id, canMatch } of checks)
          if (!canMatch(raw)) expect(scanMessage(raw, id).hits, raw.toString('latin1')).toEqual([]);
      }),
      { numRuns: 4000 },
    );
  });

  it('lets the full scan pass over parts without a needle and find exactly the same', () => {
    let used = 0;
    fc.assert(
      fc.property(message, (raw) => {
        for (const { id, canMatch } of checks) {
          if (!canMatch.needles) continue;
          used++;
          expect(scanMessage(raw, id, canMatch.needles), raw.toString('latin1')).toEqual(
            scanMessage(raw, id),
          );
        }
      }),
      { numRuns: 4000 },
    );
    expect(used).toBeGreaterThan(4000);
  });

  it('is exercised: it rules messages out, and the generator hides matches from a literal search', () => {
    let ruledOut = 0;
    let hidden = 0;
    for (const raw of fc.sample(message, { seed: 7, numRuns: 600 }))
      for (const { id, canMatch } of checks) {
        if (!canMatch(raw)) ruledOut++;
        else if (scanMessage(raw, id).hits.length && !/x\.org|kiss|bücher|søren/i.test(raw.toString('utf8')))
          hidden++;
      }
    expect(ruledOut).toBeGreaterThan(300);
    expect(hidden).toBeGreaterThan(50);
  });
});
