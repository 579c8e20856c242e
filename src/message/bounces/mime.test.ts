import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOUNCE_MAX_MIME_DEPTH } from '../../core/limits.js';
import { decodeQuotedPrintable, parseMessage, partText, splitMultipart, walk } from './mime.js';

function nested(levels: number): string {
  let msg = 'Subject: innermost\n\nhello\n';
  for (let i = 0; i < levels; i++) msg = `Subject: level ${i}\nContent-Type: message/rfc822\n\n${msg}`;
  return msg;
}

describe('parseMessage', () => {
  it('builds the tree of a multipart/report', () => {
    const raw =
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n' +
      'preamble\n--b\nContent-Type: text/plain\n\nnotice\n--b\nContent-Type: message/delivery-status\n\n' +
      'Reporting-MTA: dns; mx.example.org\n--b\nContent-Type: message/rfc822\n\nSubject: x\n\nbody\n--b--\n';
    const { root, problems } = parseMessage(raw);
    expect(problems).toEqual([]);
    expect(root.children.map((c) => c.type)).toEqual([
      'text/plain',
      'message/delivery-status',
      'message/rfc822',
    ]);
    expect(root.children[0]?.body).toBe('notice');
    expect(root.children[2]?.children[0]?.body).toBe('body');
  });

  it('stops at the nesting limit on message/rfc822 100 levels deep', () => {
    const { root, problems } = parseMessage(nested(100));
    expect([...walk(root)].length).toBe(BOUNCE_MAX_MIME_DEPTH + 1);
    expect(problems.join()).toMatch(/nesting deeper/);
  });

  it('reports a broken boundary and a missing close', () => {
    expect(
      parseMessage('Content-Type: multipart/mixed; boundary="zz"\n\n--yy\n\nx\n').problems.join(),
    ).toMatch(/never appears/);
    expect(
      parseMessage('Content-Type: multipart/mixed; boundary="zz"\n\n--zz\n\nx\n').problems.join(),
    ).toMatch(/not closed/);
    expect(parseMessage('Content-Type: multipart/mixed\n\nx\n').problems.join()).toMatch(/no boundary/);
  });

  it('reports NUL bytes and header-only input', () => {
    expect(parseMessage('Subject: a\0b\n\nx').problems.join()).toMatch(/NUL/);
    expect(parseMessage('Subject: only a header').problems.join()).toMatch(/header only/);
  });

  it('never throws on arbitrary bytes or on mutated multiparts (property)', () => {
    const base =
      'Content-Type: multipart/mixed; boundary="q"\n\n--q\nContent-Type: message/rfc822\n\nSubject: s\n\nb\n--q--\n';
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.nat(base.length), (junk, cut) => {
        parseMessage(junk);
        const { root } = parseMessage(base.slice(0, cut) + junk);
        expect([...walk(root)].length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('splitMultipart', () => {
  it('returns the parts that were joined with a boundary (property)', () => {
    const part = fc.stringMatching(/^[a-z \n]{0,40}$/).map((s) => s.replace(/^\n+|\n+$/g, 'x'));
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        (parts, eol) => {
          const body =
            `pre${eol}` + parts.map((p) => `--BND${eol}${p}${eol}`).join('') + `--BND--${eol}epilogue`;
          const split = splitMultipart(body, 'BND');
          expect(split.closed).toBe(true);
          expect(split.parts).toEqual(parts);
        },
      ),
    );
  });

  it('ignores a longer boundary that starts with ours', () => {
    const split = splitMultipart('--ab\nx\n--abc\ny\n--ab--\n', 'ab');
    expect(split.parts).toEqual(['x\n--abc\ny']);
  });
});

describe('decoding', () => {
  it('undoes quoted-printable and applies the charset', () => {
    expect(decodeQuotedPrintable('a=3Db=\nc')).toBe('a=bc');
    const { root } = parseMessage(
      'Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n' +
        Buffer.from('Grüße', 'latin1').toString('base64'),
    );
    expect(partText(root)).toBe('Grüße');
  });
});
