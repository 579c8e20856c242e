import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MESSAGES, mboxText, writeGzip, writeMaildir } from '../../../test/unit/support/dsar-fixture.js';
import { parseSourceFlag, readSource, redactUrl } from './index.js';
import type { SourceItem } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-dsar-src-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

async function all(gen: AsyncGenerator<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const i of gen) out.push(i);
  return out;
}

describe('parseSourceFlag', () => {
  it('takes an optional kind prefix', () => {
    expect(parseSourceFlag('maildir', 'quarantine=/srv/q')).toEqual({
      type: 'maildir',
      kind: 'quarantine',
      path: '/srv/q',
    });
    expect(parseSourceFlag('mbox', '/a=b')).toEqual({ type: 'mbox', kind: 'mailbox', path: '/a=b' });
    expect(parseSourceFlag('log', '/var/log/mail.log').kind).toBe('log');
    expect(() => parseSourceFlag('mbox', 'sent=')).toThrow(/needs a path/);
  });
  it('never shows an IMAP password', () => {
    expect(redactUrl('imaps://ann:secret@imap.example:993/')).toBe('imaps://ann@imap.example:993/');
  });
});

describe('Maildir connector', () => {
  const root = join(dir, 'Maildir');
  writeMaildir(root);
  it('reads cur/new of INBOX and subfolders, skips tmp and index files, tags Sent as sent', async () => {
    const items = await all(readSource({ type: 'maildir', kind: 'mailbox', path: root }));
    const msgs = items.filter((i) => i.type === 'message');
    expect(msgs).toHaveLength(Object.keys(MESSAGES).length);
    for (const m of msgs) {
      if (m.type !== 'message' || m.location.type !== 'maildir') throw new Error('shape');
      const file = join(
        root,
        m.location.folder ? `.${m.location.folder}` : '',
        m.location.sub,
        m.location.file,
      );
      expect(sha(readFileSync(file))).toBe(m.location.sha256);
      expect(m.location.kind).toBe(m.location.folder === 'Sent' ? 'sent' : 'mailbox');
    }
    expect(items.some((i) => i.type === 'message' && i.raw.toString().startsWith('From: ann@x.org\n'))).toBe(
      false,
    );
  });
  it('follows a message renamed (flags changed) during the scan and reports one expunged', async () => {
    const box = join(dir, 'Moving');
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(box, d), { recursive: true });
    for (const n of ['1', '2', '3'])
      writeFileSync(join(box, 'cur', `${n}.M1P1.host:2,`), `Subject: ${n}\n\nx\n`);
    const gen = readSource({ type: 'maildir', kind: 'mailbox', path: box });
    const first = await gen.next();
    expect(first.value).toMatchObject({ type: 'message', location: { file: '1.M1P1.host:2,' } });
    renameSync(join(box, 'cur', '2.M1P1.host:2,'), join(box, 'cur', '2.M1P1.host:2,RS'));
    rmSync(join(box, 'cur', '3.M1P1.host:2,'));
    const rest: SourceItem[] = [];
    for (let r = await gen.next(); !r.done; r = await gen.next()) rest.push(r.value);
    expect(rest).toMatchObject([
      { type: 'message', location: { file: '2.M1P1.host:2,RS', sub: 'cur' } },
      {
        type: 'problem',
        item: 'INBOX/cur/3.M1P1.host:2,',
        reason: 'vanished during the scan (expunged or moved)',
      },
    ]);
  });
  it('reports a missing Maildir as a problem item', async () => {
    const items = await all(readSource({ type: 'maildir', kind: 'mailbox', path: join(dir, 'nope') }));
    expect(items).toEqual([{ type: 'problem', item: join(dir, 'nope'), reason: 'not found' }]);
  });
});

describe('mbox connector', () => {
  const text = mboxText();
  const plain = join(dir, 'box.mbox');
  writeFileSync(plain, text);
  writeGzip(join(dir, 'box.mbox.gz'), text);
  it('gives byte ranges whose sha256 is that of the stored bytes, plain and gzip alike', async () => {
    for (const path of [plain, join(dir, 'box.mbox.gz')]) {
      const items = await all(readSource({ type: 'mbox', kind: 'archive', path }));
      expect(items).toHaveLength(Object.keys(MESSAGES).length);
      let expectStart = 0;
      for (const it of items) {
        if (it.type !== 'message' || it.location.type !== 'mbox') throw new Error('shape');
        expect(it.location.start).toBe(expectStart);
        const stored = Buffer.from(text).subarray(it.location.start, it.location.end);
        expect(stored.toString().startsWith('From sender@example.org ')).toBe(true);
        expect(sha(stored)).toBe(it.location.sha256);
        expectStart = it.location.end;
      }
      expect(expectStart).toBe(Buffer.byteLength(text));
    }
  });
  it('reports a file that is not an mbox', async () => {
    writeFileSync(join(dir, 'not.mbox'), 'Subject: x\n\nbody\n');
    const items = await all(readSource({ type: 'mbox', kind: 'archive', path: join(dir, 'not.mbox') }));
    expect(items).toEqual([
      {
        type: 'problem',
        item: join(dir, 'not.mbox'),
        reason: 'not an mbox (no From_ line starts a message)',
      },
    ]);
  });
  it('hands the message without its From_ line and with mboxrd quoting undone', async () => {
    writeFileSync(
      join(dir, 'q.mbox'),
      'From a@b Thu Nov 26 10:00:00 2026\nSubject: x\n\n>From the start\nFrom here on\n',
    );
    const [m] = await all(readSource({ type: 'mbox', kind: 'archive', path: join(dir, 'q.mbox') }));
    expect(m?.type === 'message' && m.raw.toString()).toBe('Subject: x\n\nFrom the start\nFrom here on\n');
  });
});

describe('eml-dir and log connectors', () => {
  it('reads nested files and gzip files, reports corrupt ones, and continues', async () => {
    const root = join(dir, 'quarantine');
    mkdirSync(join(root, 'a'), { recursive: true });
    writeFileSync(join(root, 'a', 'one.eml'), MESSAGES['plain-from']?.text ?? '');
    writeGzip(join(root, 'spam-abc.gz'), MESSAGES['unrelated']?.text ?? '');
    writeFileSync(join(root, 'zz-broken.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    const items = await all(readSource({ type: 'eml-dir', kind: 'quarantine', path: root }));
    expect(
      items.map((i) =>
        i.type === 'problem' ? `problem ${i.item}` : i.location.type === 'eml-dir' ? i.location.file : '',
      ),
    ).toEqual(['a/one.eml', 'spam-abc.gz', 'problem zz-broken.gz']);
    const gz = items[1];
    expect(gz?.type === 'message' && gz.raw.toString()).toBe(MESSAGES['unrelated']?.text);
  });
  it('numbers log lines from 1 and parses events', async () => {
    const path = join(dir, 'mail.log');
    const lines = [
      'Nov 26 10:00:00 mx postfix/smtp[1]: ABC: to=<ann@x.org>, relay=r[1.2.3.4]:25, status=sent (ok)',
      '',
      'garbage line',
    ];
    writeFileSync(path, `${lines.join('\n')}\n`);
    const items = await all(readSource({ type: 'log', kind: 'log', path }));
    expect(items.map((i) => i.type === 'log' && [i.location.line, i.location.sha256, i.event?.to])).toEqual([
      [1, sha(lines[0] ?? ''), ['ann@x.org']],
      [3, sha('garbage line'), undefined],
    ]);
  });
});
