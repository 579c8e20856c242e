import { describe, expect, it } from 'vitest';
import { b64, ew } from '../../../test/unit/support/dsar-fixture.js';
import { compileIdentity } from '../identity.js';
import { scanMessage, splitMultipart } from './message.js';

const id = compileIdentity({ addresses: ['ann@x.org'], names: ['Ann Example'] });
const scan = (text: string | Buffer) =>
  scanMessage(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'), id);
const places = (text: string | Buffer) => scan(text).hits.map((h) => `${h.by}:${JSON.stringify(h.place)}`);

describe('scanMessage', () => {
  it('finds the address in every address header and names the field', () => {
    for (const field of ['From', 'To', 'Cc', 'Bcc', 'Reply-To', 'Sender', 'Return-Path', 'Delivered-To']) {
      const hits = scan(`${field}: <Ann@X.org>\nSubject: s\n\nbody\n`).hits;
      expect(hits).toContainEqual({ place: { where: 'header', field }, by: 'address', index: 0 });
    }
  });
  it('finds a display name, also RFC 2047 encoded, but not a longer name', () => {
    expect(places(`From: ${ew('Ann Example')} <other@y.example>\n\nx\n`)).toEqual([
      'name:{"where":"header","field":"From"}',
    ]);
    expect(scan('From: Joann Example <joann@x.org>\n\nx\n').hits).toEqual([]);
  });
  it('decodes base64 and quoted-printable bodies (a soft break may split the address)', () => {
    const b = `Content-Transfer-Encoding: base64\n\n${b64('mail ann@x.org now')}\n`;
    expect(places(b)).toEqual(['address:{"where":"body","part":"1","encoding":"base64"}']);
    const qp =
      'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nan=\nn=40x.org\n';
    expect(places(qp)).toEqual(['address:{"where":"body","part":"1","encoding":"quoted-printable"}']);
  });
  it('decodes other charsets (windows-1252, ISO-2022-JP) before matching names', () => {
    const cp = Buffer.concat([
      Buffer.from('Content-Type: text/plain; charset=windows-1252\n\nGr\xfc\xdfe an Ann Example\n', 'latin1'),
    ]);
    expect(places(cp)).toEqual(['name:{"where":"body","part":"1","encoding":"7bit"}']);
    const jp = compileIdentity({ addresses: [], names: ['山田'] });
    const body = Buffer.from('1b24423b3345441b2842', 'hex'); // 山田 in ISO-2022-JP
    const msg = Buffer.concat([
      Buffer.from('Content-Type: text/plain; charset=iso-2022-jp\n\n'),
      body,
      Buffer.from('\n'),
    ]);
    expect(scanMessage(msg, jp).hits.map((h) => h.by)).toEqual(['name']);
  });
  it('walks multipart and attached messages, and matches attachment file names (RFC 2231)', () => {
    const inner = 'From: ann@x.org\nSubject: inner\n\nx\n';
    const msg = [
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      'preamble ann@x.org is not a part',
      '--b1',
      'Content-Type: text/plain',
      '',
      'nothing',
      '--b1',
      'Content-Type: message/rfc822',
      '',
      inner,
      '--b1',
      "Content-Disposition: attachment; filename*=utf-8''Lebenslauf%20Ann%20Example.pdf",
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0=',
      '--b1--',
      'epilogue',
    ].join('\n');
    expect(places(msg).sort()).toEqual([
      'address:{"where":"header","field":"1.2.1:From"}',
      'name:{"where":"attachment-name","part":"1.3"}',
    ]);
  });
  it('collects header facts and the other parties\u2019 domains', () => {
    const s = scan('From: ann@x.org\nTo: bob@Partner.example, c@x.org\nSubject: hi\nMessage-ID: <m@x>\n\n');
    expect(s.subject).toBe('hi');
    expect(s.messageId).toBe('<m@x>');
    expect(s.counterpartDomains).toEqual(['partner.example']);
  });
  it('reports nesting beyond the limit instead of recursing without end', () => {
    let msg = 'Subject: deep\n\n';
    for (let i = 0; i < 30; i++) msg = `Content-Type: message/rfc822\n\n${msg}`;
    const s = scan(msg);
    expect(s.problems.some((p) => p.includes('nested deeper'))).toBe(true);
  });
  it('does not match joann@x.org anywhere', () => {
    const msg = `From: joann@x.org\nSubject: ${ew('joann@x.org')}\nContent-Transfer-Encoding: base64\n\n${b64('joann@x.org')}\n`;
    expect(scan(msg).hits).toEqual([]);
  });
});

describe('splitMultipart', () => {
  it('splits on delimiter lines only and keeps CRLF content intact', () => {
    const body = Buffer.from('pre\r\n--b\r\nA: 1\r\n\r\none --b inline\r\n--b\r\n\r\ntwo\r\n--b--\r\n');
    expect(splitMultipart(body, 'b').map((b) => b.toString())).toEqual([
      'A: 1\r\n\r\none --b inline',
      '\r\ntwo',
    ]);
  });
  it('tolerates a missing close delimiter', () => {
    expect(splitMultipart(Buffer.from('--b\n\nx\n--b\n\ny'), 'b').map(String)).toEqual(['\nx', '\ny']);
  });
});
