import { TextDecoder } from 'node:util';
import { describe, expect, it } from 'vitest';
import { b64, ew } from '../../../test/unit/support/dsar-fixture.js';
import { compileIdentity, type DataSubject } from '../identity.js';
import { charsetClass } from './charset-class.js';
import { scanMessage } from './message.js';
import { compilePrefilter, FOLDS_TO_ASCII } from './prefilter.js';

const ANN: DataSubject = { addresses: ['ann@x.org'], names: ['Ann Example'] };
const KISS: DataSubject = { addresses: ['sk@kiss.example'], names: [] };
const IDN: DataSubject = { addresses: ['ann@bücher.example'], names: [] };

const bytes = (...parts: (string | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
/** Whether the pre-filter lets the message through, and whether the full scan then finds the subject. */
const verdict = (subject: DataSubject, raw: Buffer) => ({
  scanned: compilePrefilter(subject)(raw),
  found: scanMessage(raw, compileIdentity(subject)).hits.length > 0,
});
const HIDDEN = { scanned: true, found: true };
const RULED_OUT = { scanned: false, found: false };

describe('pre-filter: what it rules out', () => {
  it('rules out a message with neither the domain, the name nor anything that could hide them', () => {
    expect(verdict(ANN, bytes('From: dan@z.example\nSubject: lunch\n\nsee you at noon\n'))).toEqual(
      RULED_OUT,
    );
    for (const cs of ['shift_jis', 'ISO_8859-1:1987', '"windows-1252"', 'us-ascii ; format=flowed'])
      expect(verdict(ANN, bytes(`Content-Type: text/plain; charset=${cs}\n\nGr\xfc\xdfe\n`)), cs).toEqual(
        RULED_OUT,
      );
    expect(verdict(ANN, bytes('Content-Type: text/plain; charset="utf-8"\n\nGr\xc3\xbc\xc3\x9fe\n'))).toEqual(
      RULED_OUT,
    );
  });
  it('lets the domain or the first word of a name through in any case; the boundary is the scan’s job', () => {
    expect(verdict(ANN, bytes('To: ANN@X.ORG\n\nx\n'))).toEqual(HIDDEN);
    expect(verdict(ANN, bytes('To: joann@x.org\n\nx\n'))).toEqual({ scanned: true, found: false });
    expect(verdict(ANN, bytes('Subject: hi\n\nDear ann, example here\n'))).toEqual(HIDDEN);
  });
  it('does not treat uuencode as a hiding place, since the full scan does not decode it either', () => {
    const uu = "begin 644 a.txt\n)86YN0'@N;W)G\n`\nend\n";
    expect(verdict(ANN, bytes(`Content-Transfer-Encoding: x-uuencode\n\n${uu}`))).toEqual(RULED_OUT);
  });
});

describe('pre-filter: each way a match hides from the raw bytes', () => {
  it('base64 and quoted-printable bodies (a soft break inside the domain)', () => {
    expect(verdict(ANN, bytes(`Content-Transfer-Encoding: BASE64\n\n${b64('write ann@x.org')}\n`))).toEqual(
      HIDDEN,
    );
    const qp = 'Content-Transfer-Encoding: quoted-printable\n\nann=40x.o=\nrg\n';
    expect(verdict(ANN, bytes(qp))).toEqual(HIDDEN);
  });
  it('looks for transfer encodings and encoded words in header fields only, of every part if nested', () => {
    const leaf = `Subject: tips\n\nuse quoted-printable or base64, said ${ew('x')}\n`;
    expect(verdict(ANN, bytes(leaf))).toEqual(RULED_OUT);
    const part = `Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${b64('ann@x.org')}\n`;
    const multi = bytes('Content-Type: multipart/mixed; boundary=b\n\n--b\n', part, '--b--\n');
    expect(verdict(ANN, multi)).toEqual(HIDDEN);
    const fwd = bytes('Content-Type: message/rfc822\n\n', `Subject: ${ew('ann@x.org')}\n\nx\n`);
    expect(verdict(ANN, fwd)).toEqual(HIDDEN);
  });
  it('RFC 2047 encoded words', () => {
    expect(verdict(ANN, bytes(`Subject: ${ew('von ann@x.org')}\n\nx\n`))).toEqual(HIDDEN);
  });
  it('RFC 2231 parameters: percent-encoded and split in segments', () => {
    const pct = "Content-Disposition: attachment; filename*=utf-8''mail%20ann%40x%2Eorg\n\nx\n";
    expect(verdict(ANN, bytes(pct))).toEqual(HIDDEN);
    const parts = 'Content-Disposition: attachment; filename*0="ann@x."; filename*1="org"\n\nx\n';
    expect(verdict(ANN, bytes(parts))).toEqual(HIDDEN);
  });
  it('quotes and backslash escapes inside a parameter, in the top header and in a nested part', () => {
    expect(verdict(ANN, bytes('Content-Type: text/plain; name=ann@x".org"\n\nx\n'))).toEqual(HIDDEN);
    expect(verdict(ANN, bytes('Content-Disposition: inline; filename="ann@x\\.org"\n\nx\n'))).toEqual(HIDDEN);
    expect(verdict(ANN, bytes('Content-Disposition: inline; filename="report\\.pdf"\n\nx\n'))).toEqual(
      RULED_OUT,
    );
    const nested = (fn: string) =>
      bytes(
        'Content-Type: multipart/mixed; boundary=b\n\n--b\n',
        `Content-Type: text/plain\nContent-Disposition: attachment; filename=${fn}\n\nhi\n--b--\n`,
      );
    expect(verdict(ANN, nested('"Ann\\ Example.txt"'))).toEqual(HIDDEN);
    expect(verdict(ANN, nested('"notes\\.txt"'))).toEqual(RULED_OUT);
  });
  it('charsets where ASCII text is not ASCII bytes: UTF-16, ISO-2022-JP, and escaped labels', () => {
    const utf16 = Buffer.from('ann@x.org\n', 'utf16le');
    expect(verdict(ANN, bytes('Content-Type: text/plain; charset=UTF-16\n\n', utf16))).toEqual(HIDDEN);
    expect(verdict(ANN, bytes('Content-Type: text/plain; charset="utf\\-16"\n\n', utf16))).toEqual(HIDDEN);
    // A label that is not a plain token is scanned: here the full scan finds it unknown and says so.
    const odd = verdict(ANN, bytes('Content-Type: text/plain; charset=utf-16le (x)\n\n', utf16));
    expect(odd).toEqual({ scanned: true, found: false });
    const jp = 'Content-Type: text/plain; charset=iso-2022-jp\n\nann@x.o\x1b(Brg\n';
    expect(verdict(ANN, bytes(jp))).toEqual(HIDDEN);
  });
  it('an unknown charset, so that the full scan can report it', () => {
    const raw = bytes('Content-Type: text/plain; charset=x-made-up\n\nnothing here\n');
    expect(compilePrefilter(ANN)(raw)).toBe(true);
    expect(scanMessage(raw, compileIdentity(ANN)).problems).toEqual([
      'part 1: unknown charset, searched as UTF-8',
    ]);
    // Labels that only look like a safe one to a reader that stops early.
    for (const param of ['charset="utf-8 x"', 'charset=utf-8"x"', 'charset=utf-8 x']) {
      const odd = bytes(`Content-Type: text/plain; ${param}\n\nnothing here\n`);
      expect(compilePrefilter(ANN)(odd), param).toBe(true);
      expect(scanMessage(odd, compileIdentity(ANN)).problems, param).toHaveLength(1);
    }
  });
  it('characters that fold to k or s (KELVIN SIGN, LONG S), in UTF-8 and in GB18030', () => {
    const kelvin = Buffer.from('sk@\u212aiss.example\n', 'utf8');
    expect(verdict(KISS, bytes('Content-Type: text/plain; charset=utf-8\n\n', kelvin))).toEqual(HIDDEN);
    const longS = Buffer.from('To: sk@ki\u017fs.example\n\nx\n', 'utf8');
    expect(verdict(KISS, longS)).toEqual(HIDDEN);
    const gb = bytes(
      'Content-Type: text/plain; charset=gb18030\n\nsk@',
      Buffer.from('8136bf32', 'hex'),
      'iss.example\n',
    );
    expect(verdict(KISS, gb)).toEqual(HIDDEN);
    // The same 8-bit bytes cannot hide a subject without k, s, ';' or '`'.
    expect(compilePrefilter(ANN)(gb)).toBe(false);
    expect(verdict(KISS, bytes('Content-Type: text/plain; charset=utf-8\n\nGr\xc3\xbc\xc3\x9fe\n'))).toEqual(
      RULED_OUT,
    );
  });
  it('a subject with a non-ASCII form: any 8-bit byte may spell it', () => {
    expect(verdict(IDN, Buffer.from('To: ann@BÜCHER.example\n\nx\n', 'utf8'))).toEqual(HIDDEN);
    expect(verdict(IDN, bytes('To: ann@xn--bcher-kva.example\n\nx\n'))).toEqual(HIDDEN);
    expect(verdict(IDN, bytes('To: ann@buecher.example\n\nx\n'))).toEqual(RULED_OUT);
  });
});

describe('pre-filter: the facts its reasoning rests on', () => {
  it('knows every non-ASCII character that NFC or Unicode case folding turns into an ASCII one', () => {
    const found: string[] = [];
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      // eslint-disable-next-line no-control-regex
      if (/[\x00-\x7f]/iu.test(c) || /[\x00-\x7f]/.test(c.normalize('NFC'))) found.push(c);
    }
    expect(found.sort()).toEqual(Object.values(FOLDS_TO_ASCII).sort());
  });
  it('classes as ascii-safe only charsets that keep ASCII and give no folding character for a byte', () => {
    const labels = ['utf-8', 'us-ascii', 'latin1', 'iso-8859-2', 'iso-8859-15', 'windows-1251', 'koi8-r'];
    labels.push('koi8-u', 'macintosh', 'x-mac-cyrillic', 'ibm866', 'windows-874', 'iso-8859-8-i', 'cp1252');
    for (const label of labels) {
      expect(charsetClass(label), label).toBe('ascii-safe');
      const dec = new TextDecoder(label === 'latin1' ? 'iso-8859-1' : label);
      for (let b = 0; b < 0x100; b++) {
        const c = dec.decode(Uint8Array.of(b));
        // Needles are printable ASCII (others make the subject non-ASCII): those must map 1:1.
        const printable = (x: number) => x >= 0x20 && x < 0x7f;
        if (printable(b)) expect(c, `${label} ${b}`).toBe(String.fromCharCode(b));
        else expect(c.length === 1 && printable(c.charCodeAt(0)), `${label} ${b}`).toBe(false);
        expect(Object.values(FOLDS_TO_ASCII), `${label} ${b}`).not.toContain(c);
      }
    }
  });
  it('classes UTF-16, ISO-2022 and unknown labels as hiding, and the CJK charsets as multi-byte', () => {
    for (const label of [
      'utf-16',
      'UTF-16BE',
      'unicode',
      'iso-2022-jp',
      'iso-2022-kr',
      'utf-7',
      'x-bogus',
      '',
    ])
      expect(charsetClass(label), label).toBe('hiding');
    for (const label of [
      'gbk',
      'GB2312',
      'gb18030',
      'big5',
      'euc-jp',
      'euc-kr',
      'shift_jis',
      'ks_c_5601-1987',
    ])
      expect(charsetClass(label), label).toBe('multibyte');
  });
});
