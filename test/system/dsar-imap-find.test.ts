import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectImap } from '../../src/dsar/erase/imap.js';
import { compileIdentity } from '../../src/dsar/identity.js';
import { runFind } from '../../src/dsar/search/run.js';
import { readImap } from '../../src/dsar/sources/imap.js';
import type { SourceItem } from '../../src/dsar/sources/types.js';
import { subjectMessage } from './dsar-messages.js';
import { startDovecot, type DovecotInstance } from './dovecot.js';

const USER = 'find@x.org';
const PASS = 'secret-find';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let dovecot: DovecotInstance;
const truth = new Set<string>();

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dovecot-dsar-find-'));
  dovecot = await startDovecot(dir, { [USER]: PASS });
  const client = await connectImap(dovecot.url(USER), { pass: PASS });
  await client.mailboxCreate('Sent');
  await client.mailboxCreate('Archive');
  for (let i = 0; i < 240; i++) {
    const m = subjectMessage(i, { messageId: `f${i}@x.org`, to: 'find@x.org' });
    await client.append(i < 150 ? 'INBOX' : i < 200 ? 'Sent' : 'Archive', m.text, i % 2 ? ['\\Seen'] : []);
    if (m.about) truth.add(sha(Buffer.from(m.text)));
  }
  await client.logout();
}, 120_000);

afterAll(async () => {
  await dovecot?.stop();
});

describe('dsar find through IMAP against a real Dovecot', () => {
  it('finds exactly the messages about the subject in every folder, with UIDVALIDITY/UID and sha256', async () => {
    process.env.MAILCOMPLY_IMAP_PASSWORD = PASS;
    const id = compileIdentity({ addresses: ['ann@x.org'], names: [] });
    const r = await runFind([{ type: 'imap', kind: 'mailbox', url: dovecot.url(USER) }], id);
    expect(r.problems).toEqual([]);
    expect(r.sources[0]?.items).toBe(240);
    const found = new Set(r.matches.map((m) => m.location.sha256));
    expect(found).toEqual(truth);
    const folders = new Set(r.matches.map((m) => (m.location.type === 'imap' ? m.location.folder : '')));
    expect([...folders].sort()).toEqual(['Archive', 'INBOX', 'Sent'].sort());
    for (const m of r.matches) {
      if (m.location.type !== 'imap') throw new Error('shape');
      expect(m.location.uidValidity).toBeGreaterThan(0);
      expect(m.location.uid).toBeGreaterThan(0);
      expect(m.location.url).not.toContain(PASS);
    }
    // EXAMINE, not SELECT: reading does not mark anything \Seen.
    const c = await connectImap(dovecot.url(USER), { pass: PASS });
    const st = await c.status('INBOX', { unseen: true });
    await c.logout();
    expect(st && st.unseen).toBe(75);
  });
  it('reports a wrong password or a closed port as a problem item, without the secret', async () => {
    const items: SourceItem[] = [];
    for await (const i of readImap(dovecot.url(USER), 'mailbox', { pass: 'wrong-secret' })) items.push(i);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      type: 'problem',
      reason: expect.stringMatching(/cannot connect or log in/),
    });
    expect(JSON.stringify(items)).not.toContain('wrong-secret');
  });
});
