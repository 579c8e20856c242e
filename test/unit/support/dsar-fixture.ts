import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, inflateRawSync } from 'node:zlib';

/** Base64 of UTF-8 text, wrapped at 76 columns like a mail client does. */
export function b64(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\n');
}

/** An RFC 2047 B encoded word. */
export function ew(text: string): string {
  return `=?utf-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Messages of the shared fixture, by file name: which ones are about ann@x.org. */
export const MESSAGES: Record<string, { text: string; about: boolean }> = {
  'plain-from': {
    text: 'From: "Ann Example" <ANN+news@x.org>\nTo: bob@partner.example\nSubject: hello\nMessage-ID: <1@x.org>\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n\nhi\n',
    about: true,
  },
  'joann-only': {
    text: 'From: bob@partner.example\nTo: joann@x.org\nSubject: not her\n\nwrite to joann@x.org or ann@x.org.uk\n',
    about: false,
  },
  'base64-body': {
    text: `From: carol@y.example\nTo: team@y.example\nSubject: forwarded\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${b64('Bitte an ann@x.org schreiben, Grüße')}\n`,
    about: true,
  },
  'encoded-subject': {
    text: `From: carol@y.example\nTo: team@y.example\nSubject: ${ew('Nachricht von ann@x.org')}\n\nnothing\n`,
    about: true,
  },
  unrelated: { text: 'From: dan@z.example\nTo: eve@z.example\nSubject: lunch\n\nsee you\n', about: false },
};

/** Writes a Maildir (INBOX and a .Sent folder) with the fixture messages. */
export function writeMaildir(root: string): void {
  for (const d of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', '.Sent/tmp'])
    mkdirSync(join(root, d), { recursive: true });
  const names = Object.keys(MESSAGES);
  names.forEach((name, i) => {
    const dir = i % 2 === 0 ? 'cur' : '.Sent/cur';
    writeFileSync(join(root, dir, `${1000 + i}.M1P1.host,S=1:2,S-${name}`), MESSAGES[name]?.text ?? '');
  });
  writeFileSync(join(root, 'tmp', 'partial'), 'From: ann@x.org\n'); // half-delivered: never read
  writeFileSync(join(root, 'dovecot.index.cache'), 'ann@x.org'); // not mail
}

/** An mbox of the fixture messages (mboxrd quoting of a body From line), optionally gzip. */
export function mboxText(): string {
  return Object.values(MESSAGES)
    .map(
      (m, i) =>
        `From sender@example.org Thu Nov 26 10:0${i}:00 2026\n${m.text.replace(/^(>*From )/gm, '>$1')}\n`,
    )
    .join('');
}

/** Writes `text` as a gzip file. */
export function writeGzip(path: string, text: string): void {
  writeFileSync(path, gzipSync(Buffer.from(text)));
}

/** Reads the entries of a zip (stored or deflated) through its central directory. */
export function readZip(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + csize);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
