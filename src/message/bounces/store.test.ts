import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMessages } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'mc-bounces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mbox files', () => {
  it('split on From lines after a blank line and undo >From quoting', () => {
    const path = join(dir, 'small.mbox');
    writeFileSync(
      path,
      'From a@example.org Mon Mar  3 10:00:00 2025\nSubject: one\n\nhello\nFrom here on, no split\n>From quoted\n\n' +
        'From b@example.org Mon Mar  3 10:01:00 2025\nSubject: two\n\nbye\n\n' +
        'From c@example.org Mon Mar  3 10:02:00 2025\n',
    );
    const msgs = [...readMessages([path])];
    expect(msgs.map((m) => m.source.slice(dir.length + 1))).toEqual([
      'small.mbox#1',
      'small.mbox#2',
      'small.mbox#3',
    ]);
    expect(msgs[0]?.raw?.toString()).toBe('Subject: one\n\nhello\nFrom here on, no split\nFrom quoted\n\n');
    expect(msgs[1]?.raw?.toString()).toBe('Subject: two\n\nbye\n\n');
    expect(msgs[2]?.error).toBe('empty mbox entry');
  });

  it('keep every message whole across read-chunk boundaries (3 MB, CRLF)', () => {
    const path = join(dir, 'big.mbox');
    const bodies = Array.from(
      { length: 300 },
      (_, i) => `Subject: m${i}\r\n\r\n${'x'.repeat(7000 + i)}\r\nend ${i}\r\n\r\n`,
    );
    writeFileSync(
      path,
      bodies.map((b, i) => `From s${i}@example.org Mon Mar  3 10:00:00 2025\r\n${b}`).join(''),
    );
    const msgs = [...readMessages([path])];
    expect(msgs).toHaveLength(300);
    expect(msgs.every((m, i) => m.raw?.toString('latin1') === bodies[i])).toBe(true);
  });
});

describe('readMessages', () => {
  it('walks Maildir cur/new (not tmp), plain files and folders, and reports missing paths', () => {
    const md = join(dir, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp', '.Bounces/cur']) mkdirSync(join(md, sub), { recursive: true });
    writeFileSync(join(md, 'cur', '1.host:2,S'), 'Subject: a\n\nx\n');
    writeFileSync(join(md, 'new', '2.host'), 'Subject: b\n\nx\n');
    writeFileSync(join(md, 'tmp', '3.host'), 'Subject: half\n');
    writeFileSync(join(md, '.Bounces', 'cur', '4.host:2,'), 'Subject: c\n\nx\n');
    writeFileSync(join(md, 'dovecot.index'), 'not mail');
    const eml = join(dir, 'one.eml');
    writeFileSync(eml, 'Subject: d\n\nx\n');
    writeFileSync(join(dir, 'empty.eml'), '');
    const got = [...readMessages([md, eml, join(dir, 'empty.eml'), join(dir, 'missing')])];
    expect(got.map((m) => m.source.slice(dir.length + 1))).toEqual([
      'Maildir/.Bounces/cur/4.host:2,',
      'Maildir/cur/1.host:2,S',
      'Maildir/new/2.host',
      'one.eml',
      'empty.eml',
      'missing',
    ]);
    expect(got[0]?.raw && readFileSync(join(md, '.Bounces', 'cur', '4.host:2,')).equals(got[0].raw)).toBe(
      true,
    );
    expect(got[4]?.error).toBe('empty file');
    expect(got[5]?.error).toBe('cannot read: ENOENT');
  });
});
