import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyErase, noHold, planFromSources, verifyErase } from '../../src/dsar/erase/index.js';
import { exportPackage } from '../../src/dsar/export/package.js';
import { runFind } from '../../src/dsar/search/run.js';
import { connectImap, eraseImapItems } from '../../src/dsar/erase/imap.js';
import { compileIdentity } from '../../src/dsar/identity.js';
import { scanMessage } from '../../src/dsar/search/message.js';
import type { SourceSpec } from '../../src/dsar/types.js';
import { startDovecot, type DovecotInstance } from './dovecot.js';

const USER = 'box@x.org';
const PASS = 'secret-box';
const ANN = { addresses: ['ann@x.org'], names: [] };
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, MAILCOMPLY_IMAP_PASSWORD: PASS },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Message i: every fifth names the subject (header, base64 body or encoded word), every seventh joann. */
function message(i: number): string {
  const head = [
    `Message-ID: <d${i}@x.org>`,
    `Date: Fri, 27 Nov 2026 10:${String(i % 60).padStart(2, '0')}:00 +0000`,
    `Subject: m${i}`,
  ];
  if (i % 15 === 0)
    return [...head, 'From: Ann <ann@x.org>', 'To: box@x.org', '', `hello ${i}`, ''].join('\r\n');
  if (i % 15 === 5)
    return [
      ...head,
      'From: bob@y.org',
      'To: box@x.org',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(`forward to ANN@x.org please (${i})\r\n`).toString('base64'),
      '',
    ].join('\r\n');
  if (i % 15 === 10)
    return [
      ...head,
      `Cc: =?UTF-8?Q?Ann_=C3=96?= <ann+list@x.org>`,
      'From: bob@y.org',
      'To: box@x.org',
      '',
      `cc ${i}`,
      '',
    ].join('\r\n');
  if (i % 7 === 0)
    return [...head, 'From: joann@x.org', 'To: box@x.org', '', `from joann ${i}`, ''].join('\r\n');
  return [...head, 'From: carol@z.org', 'To: box@x.org', '', `other ${i}`, ''].join('\r\n');
}

/** Every message of every folder, through IMAP: folder, UIDVALIDITY, UID, sha256 of the bytes. */
async function imapInventory(
  client: ImapFlow,
): Promise<Map<string, { folder: string; uidValidity: number; uid: number; raw: Buffer }>> {
  const inv = new Map<string, { folder: string; uidValidity: number; uid: number; raw: Buffer }>();
  for (const box of await client.list()) {
    const lock = await client.getMailboxLock(box.path);
    try {
      const validity = Number(client.mailbox ? client.mailbox.uidValidity : 0);
      if (client.mailbox && client.mailbox.exists === 0) continue;
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        const raw = m.source!;
        inv.set(`${box.path}/${sha(raw)}`, { folder: box.path, uidValidity: validity, uid: m.uid, raw });
      }
    } finally {
      lock.release();
    }
  }
  return inv;
}

let dovecot: DovecotInstance;
let dir: string;

beforeAll(async () => {
  // The IMAP connector reads its secret from the environment, as the CLI does.
  process.env.MAILCOMPLY_IMAP_PASSWORD = PASS;
  dir = mkdtempSync(join(tmpdir(), 'dovecot-dsar-'));
  dovecot = await startDovecot(dir, { [USER]: PASS });
});

afterAll(async () => {
  await dovecot?.stop();
});

describe('data subject requests against a real Dovecot', () => {
  it('finds and erases the subject through IMAP and the Maildir, leaving every other message intact', async () => {
    const open = (url: string): Promise<ImapFlow> => connectImap(url, { pass: PASS });
    const client = await open(dovecot.url(USER));
    // 200 messages through IMAP APPEND (INBOX and Sent) ...
    await client.mailboxCreate('Sent');
    for (let i = 0; i < 200; i++)
      await client.append(i < 120 ? 'INBOX' : 'Sent', message(i), i % 2 ? ['\\Seen'] : []);
    // ... and 100 dropped into the Maildir as a migration or delivery agent would.
    // (into a folder Dovecot already knows: a brand-new folder directory would wait for its list index).
    await client.mailboxCreate('Archive');
    const archive = join(dovecot.maildir(USER), '.Archive');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(archive, sub), { recursive: true });
    for (let i = 200; i < 300; i++)
      writeFileSync(join(archive, 'cur', `17000${i}.M${i}P9.test:2,S`), message(i));
    dovecot.chownMail(archive);
    const before = await imapInventory(client);
    expect(before.size).toBe(300);
    const id = compileIdentity(ANN);
    const imap: SourceSpec = { type: 'imap', kind: 'mailbox', url: dovecot.url(USER) };
    const disk: SourceSpec = { type: 'maildir', kind: 'archive', path: dovecot.maildir(USER) };

    // Find and export through the IMAP connector: all three folders, Archive included.
    const found = await runFind([imap], id);
    expect(found.problems).toEqual([]);
    expect(found.matches).toHaveLength(60); // 3 of every 15
    const zip = join(dir, 'ann.zip');
    const exported = await exportPackage([imap], id, zip);
    expect(exported.manifest.filter((m) => m.sha256)).toHaveLength(60);
    expect(statSync(zip).size).toBeGreaterThan(0);

    // Erase INBOX and Sent through IMAP, and Archive (written on disk) through the Maildir.
    const receipt = join(dir, 'receipt.jsonl');
    const { plan: imapPlan } = await planFromSources([imap], ANN, { ...noHold(), folders: ['Archive'] });
    expect(imapPlan.items).toHaveLength(40);
    const imapRun = await applyErase(imapPlan, ANN, {
      receipt,
      imap: (items) => eraseImapItems(items, open),
    });
    expect(imapRun.summary).toMatchObject({ erased: 40, failed: 0, changed: 0 });
    const { plan: diskPlan } = await planFromSources([disk], ANN, {
      ...noHold(),
      folders: ['INBOX', 'Sent'],
    });
    expect(diskPlan.items).toHaveLength(20);
    const diskRun = await applyErase(diskPlan, ANN, { receipt });
    expect(diskRun.summary).toMatchObject({ erased: 20, failed: 0, changed: 0 });

    // Check through IMAP: Dovecot sees exactly the 60 messages gone and every other one byte for byte.
    await client.noop();
    const after = await imapInventory(client);
    expect(after.size).toBe(240);
    for (const [k, m] of before) {
      const subject = scanMessage(m.raw, id).hits.length > 0;
      expect({ k, gone: !after.has(k) }).toEqual({ k, gone: subject });
    }
    for (const [, m] of after) expect(scanMessage(m.raw, id).hits).toEqual([]);
    expect(
      [...after.values()].filter((m) => m.raw.toString('latin1').includes('joann@x.org')).length,
    ).toBeGreaterThan(0);
    await client.logout();

    // The receipt holds and a new search of both the IMAP account and the Maildir finds nothing.
    const v = await verifyErase(receipt, ANN);
    expect(v.chain.ok).toBe(true);
    expect(v.recorded).toBe(60);
    expect(v.sources.map((x) => x.type).sort()).toEqual(['imap', 'maildir']);
    expect(v.remaining).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('reports a wrong UIDVALIDITY as changed and erases nothing', async () => {
    const open = (url: string): Promise<ImapFlow> => connectImap(url, { pass: PASS });
    const client = await open(dovecot.url(USER));
    const inv = await imapInventory(client);
    await client.logout();
    const one = [...inv.values()].find((m) => m.folder === 'INBOX')!;
    const res = await eraseImapItems(
      [
        {
          type: 'imap',
          kind: 'mailbox',
          url: dovecot.url(USER),
          folder: 'INBOX',
          uidValidity: one.uidValidity + 1,
          uid: one.uid,
          sha256: sha(one.raw),
        },
      ],
      open,
    );
    expect(res.map((r) => r.result)).toEqual(['changed']);
    const c2 = await open(dovecot.url(USER));
    expect((await imapInventory(c2)).size).toBe(inv.size);
    await c2.logout();
  });

  it('erases through the CLI with --imap and verifies the receipt', async () => {
    const receipt = join(dir, 'joann.jsonl');
    const args = ['dsar', 'erase', '--subject', 'joann@x.org', '--imap', dovecot.url(USER), '--quiet'];
    const plan = cli([...args, '--format', 'json']);
    expect(plan.status).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { items: unknown[] }).items.length;
    expect(planned).toBeGreaterThan(0);
    const run = cli([...args, '--apply', '--receipt', receipt]);
    expect(run.stdout).toContain(`Erased ${planned},`);
    expect(run.status).toBe(0);
    const v = cli(['dsar', 'verify', receipt, '--subject', 'joann@x.org']);
    expect(v.stdout).toContain('Verified: the subject is no longer found.');
    expect(v.status).toBe(0);
  });
});
