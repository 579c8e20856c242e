import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small mail store for erase tests: a Maildir with folders, an mbox and a mail log. */
export interface EraseStore {
  dir: string;
  maildir: string;
  mbox: string;
  log: string;
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function message(i: number, kind: 'to' | 'b64' | 'word' | 'jo' | 'other' | 'hold'): string {
  const b64 = Buffer.from(`Hello,\r\nplease write to ann@x.org about item ${i}.\r\n`).toString('base64');
  const head = [
    `Message-ID: <m${i}@x.org>`,
    `Date: Fri, 27 Nov 2026 10:00:${String(i % 60).padStart(2, '0')} +0000`,
  ];
  switch (kind) {
    case 'to':
      return [
        ...head,
        'From: Bob <bob@y.org>',
        'To: Ann <ann@x.org>',
        `Subject: s${i}`,
        '',
        `body ${i}`,
        '',
      ].join('\r\n');
    case 'b64':
      return [
        ...head,
        'From: bob@y.org',
        'To: team@x.org',
        `Subject: s${i}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        b64,
        '',
      ].join('\r\n');
    case 'word':
      return [
        ...head,
        `From: =?UTF-8?B?${Buffer.from('Ann Ö').toString('base64')}?= <ANN+news@X.ORG>`,
        'To: carol@z.org',
        '',
        `b ${i}`,
        '',
      ].join('\r\n');
    case 'jo':
      return [...head, 'From: joann@x.org', 'To: carol@z.org', '', `joann@x.org wrote ${i}`, ''].join('\r\n');
    case 'hold':
      return [...head, 'From: ann@x.org', 'To: counsel@law.example', '', `case ${i}`, ''].join('\r\n');
    case 'other':
      return [...head, 'From: dave@y.org', 'To: carol@z.org', '', `nothing ${i}`, ''].join('\r\n');
  }
}

const KINDS = ['to', 'b64', 'word', 'jo', 'other', 'other', 'hold'] as const;

/** Builds the store; `n` messages per Maildir folder, a third of them or so about the subject. */
export function buildEraseStore(n = 14): EraseStore {
  const dir = mkdtempSync(join(tmpdir(), 'erase-'));
  const maildir = join(dir, 'Maildir');
  for (const folder of ['', '.Sent', '.Legal']) {
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, folder, sub), { recursive: true });
    for (let i = 0; i < n; i++) {
      const sub = i % 4 === 0 ? 'new' : 'cur';
      const name = `1700000${i}.M${i}P1.host${folder}${sub === 'cur' ? ':2,S' : ''}`;
      writeFileSync(join(maildir, folder, sub, name), message(i, KINDS[i % KINDS.length]!));
    }
  }
  const mbox = join(dir, 'archive.mbox');
  const parts: string[] = [];
  for (let i = 0; i < n; i++)
    parts.push(
      `From sender@y.org Fri Nov 27 10:00:00 2026\n${message(100 + i, KINDS[(i + 1) % KINDS.length]!).replace(/\r\n/g, '\n')}\n`,
    );
  writeFileSync(mbox, parts.join(''));
  const log = join(dir, 'mail.log');
  const lines: string[] = [];
  for (let i = 0; i < 3 * n; i++) {
    const who = i % 5 === 0 ? 'ann@x.org' : i % 5 === 1 ? 'joann@x.org' : `user${i}@y.org`;
    lines.push(
      `Nov 27 10:00:${String(i % 60).padStart(2, '0')} mx postfix/smtp[9${i}]: 4AB${String(i).padStart(5, '0')}C: to=<${who}>, relay=mx.y.org[192.0.2.${i % 250}]:25, delay=0.1, dsn=2.0.0, status=sent (250 ok)`,
    );
  }
  writeFileSync(log, `${lines.join('\n')}\n`);
  return { dir, maildir, mbox, log };
}

/** sha256 of every stored item: Maildir files by unique name, mbox messages, log lines by number. */
export function inventory(s: EraseStore): Map<string, string> {
  const inv = new Map<string, string>();
  for (const folder of readdirSync(s.maildir)
    .filter((f) => f.startsWith('.'))
    .concat([''])) {
    for (const sub of ['cur', 'new']) {
      let files: string[] = [];
      try {
        files = readdirSync(join(s.maildir, folder, sub));
      } catch {
        continue;
      }
      for (const f of files)
        inv.set(`maildir:${folder}/${f.split(':2,')[0]}`, sha(readFileSync(join(s.maildir, folder, sub, f))));
    }
  }
  const mbox = readFileSync(s.mbox, 'latin1');
  for (const m of mbox.split(/(?=^From )/m).filter(Boolean)) inv.set(`mbox:${sha(m)}`, sha(m));
  readFileSync(s.log, 'latin1')
    .split('\n')
    .forEach((l, i) => inv.set(`log:${i + 1}`, sha(l)));
  return inv;
}

/** Items of `before` that do not name the subject must be in `after`, byte for byte. */
export function othersUnchanged(
  before: Map<string, string>,
  after: Map<string, string>,
  subjectKeys: Set<string>,
): string[] {
  const bad: string[] = [];
  for (const [k, v] of before) if (!subjectKeys.has(k) && after.get(k) !== v) bad.push(k);
  return bad;
}
