import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyErase, noHold, planFromSources, verifyErase } from '../../src/dsar/erase/index.js';
import { connectImap, eraseImapItems } from '../../src/dsar/erase/imap.js';
import { compileIdentity } from '../../src/dsar/identity.js';
import { runFind } from '../../src/dsar/search/run.js';
import { readImap } from '../../src/dsar/sources/imap.js';
import type { SourceItem } from '../../src/dsar/sources/types.js';
import type { SourceSpec } from '../../src/dsar/types.js';
import { startCutProxy, type CutProxy } from './dsar-imap-resume-proxy.js';
import { subjectMessage } from './dsar-messages.js';
import { startDovecot, type DovecotInstance } from './dovecot.js';

const PASS = 'secret-resume';
const USERS = ['find@x.org', 'lost@x.org', 'erase@x.org', 'half@x.org', 'check@x.org'] as const;
const ANN = { addresses: ['ann@x.org'], names: [] };
const FOLDERS = ['Archive', 'INBOX', 'Sent'];
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const fast = { backoffMs: [5, 5, 5] };
/** The connector's first FETCH of a folder: every message's full source. */
const FULL_FETCH = /UID FETCH 1:\* \(UID BODY\.PEEK\[\]/;
/** The tagged completion of a command: sent only once the server has committed it. */
const TAGGED_OK = /(^|\r\n)[^*\s]+ OK /;

/** Messages per folder, in the order Archive, INBOX, Sent (the order the connector reads them). */
const COUNTS: Record<string, number> = { Archive: 40, INBOX: 150, Sent: 50 };

let dovecot: DovecotInstance;
let proxy: CutProxy;
/** sha256 of every message about the subject, per user. */
const truth = new Map<string, Set<string>>();

const direct = (user: string): Promise<ImapFlow> => connectImap(dovecot.url(user), { pass: PASS });

/** Every message of every folder, straight from Dovecot: `folder/sha256` -> flags. */
async function inventory(user: string): Promise<Map<string, Set<string>>> {
  const client = await direct(user);
  const inv = new Map<string, Set<string>>();
  try {
    for (const folder of FOLDERS) {
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        if (client.mailbox && client.mailbox.exists === 0) continue;
        for await (const m of client.fetch('1:*', { uid: true, flags: true, source: true }))
          // \Recent belongs to whichever session saw the message first, not to the message.
          inv.set(
            `${folder}/${sha(m.source!)}`,
            new Set([...(m.flags ?? [])].filter((f) => f !== '\\Recent')),
          );
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout();
  }
  return inv;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dovecot-dsar-resume-'));
  dovecot = await startDovecot(dir, Object.fromEntries(USERS.map((u) => [u, PASS])));
  proxy = await startCutProxy(dovecot.host, dovecot.port);
  for (const user of USERS) {
    const client = await direct(user);
    const about = new Set<string>();
    let i = 0;
    for (const folder of FOLDERS) {
      if (folder !== 'INBOX') await client.mailboxCreate(folder);
      for (let n = 0; n < COUNTS[folder]!; n++, i++) {
        const m = subjectMessage(i, {
          messageId: `${i}.${user}`,
          to: user,
          filler: ` ${'lorem ipsum '.repeat(i % 5)}`,
        });
        await client.append(folder, m.text, i % 2 ? ['\\Seen'] : []);
        if (m.about) about.add(sha(Buffer.from(m.text)));
      }
    }
    truth.set(user, about);
    await client.logout();
  }
  // The connector reads its secret from the environment, as the CLI does.
  process.env.MAILCOMPLY_IMAP_PASSWORD = PASS;
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await dovecot?.stop();
});

describe('IMAP connection reset mid-FETCH', () => {
  it('dsar find reconnects, resumes after the last UID read and finds every message exactly once', async () => {
    const user = 'find@x.org';
    const before = proxy.connections;
    const cuts = proxy.cuts;
    // The second FETCH is INBOX's (folders are read in name order): cut 6 kB into its answer.
    proxy.arm({ command: FULL_FETCH, nth: 2, afterBytes: 6000 });
    const r = await runFind([{ type: 'imap', kind: 'mailbox', url: proxy.url(user) }], compileIdentity(ANN));
    expect(proxy.cuts).toBe(cuts + 1);
    expect(proxy.connections - before).toBe(2);
    expect(r.sources[0]?.items).toBe(240);
    const keys = r.matches.map((m) =>
      m.location.type === 'imap' ? `${m.location.folder}/${m.location.uid}` : '',
    );
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(r.matches.map((m) => m.location.sha256))).toEqual(truth.get(user));
    expect(r.matches).toHaveLength(truth.get(user)!.size);
    // One problem item: the drop and the resume, with where, and no credentials or addresses.
    expect(r.problems).toHaveLength(1);
    const p = r.problems[0]!;
    expect(p.item).toMatch(/^INBOX after UID \d+$/);
    const lastRead = Number(/UID (\d+)$/.exec(p.item)![1]);
    expect(lastRead).toBeGreaterThan(0);
    expect(lastRead).toBeLessThan(COUNTS.INBOX!);
    expect(p.reason).toMatch(
      /^connection dropped \(.+\); reconnected, UIDVALIDITY unchanged, resumed with UID FETCH (\d+):\*/,
    );
    expect(p.reason).toContain(`UID FETCH ${lastRead + 1}:*`);
    expect(JSON.stringify(r.problems)).not.toMatch(/secret|ann@|find@/i);
  });

  it('reports what was not read when reconnecting fails, and yields each message read at most once', async () => {
    const user = 'lost@x.org';
    const cuts = proxy.cuts;
    proxy.arm({
      command: FULL_FETCH,
      nth: 2,
      afterBytes: 5000,
      refuseAfter: true,
    });
    const items: SourceItem[] = [];
    try {
      for await (const i of readImap(proxy.url(user), 'mailbox', { pass: PASS }, { reconnect: fast }))
        items.push(i);
    } finally {
      proxy.reopen();
    }
    expect(proxy.cuts).toBe(cuts + 1);
    const msgs = items.filter((i) => i.type === 'message');
    const problems = items.filter((i) => i.type === 'problem');
    const uids = msgs.map((m) =>
      m.location.type === 'imap' ? `${m.location.folder}/${m.location.uid}` : '',
    );
    expect(new Set(uids).size).toBe(uids.length);
    // All of Archive, part of INBOX, none of Sent.
    expect(uids.filter((u) => u.startsWith('Archive/'))).toHaveLength(COUNTS.Archive!);
    const inbox = uids.filter((u) => u.startsWith('INBOX/')).length;
    expect(inbox).toBeLessThan(COUNTS.INBOX!);
    expect(uids.filter((u) => u.startsWith('Sent/'))).toHaveLength(0);
    expect(problems).toEqual([
      {
        type: 'problem',
        item: inbox ? `INBOX after UID ${inbox}` : 'INBOX',
        reason: expect.stringMatching(
          /^connection dropped \(.+\) and 3 reconnect attempts failed \(.+\): the rest of the folder was not read$/,
        ),
      },
      { type: 'problem', item: 'Sent', reason: 'not read: the connection was lost earlier in this run' },
    ]);
  });

  it('reports the folder when its UIDVALIDITY changed between the drop and the reconnect', async () => {
    const user = 'lost@x.org';
    // Sent is the third folder read; it is recreated (new UIDVALIDITY) before the reconnect.
    const cuts = proxy.cuts;
    proxy.arm({ command: FULL_FETCH, nth: 3, afterBytes: 3000 });
    let opened = 0;
    const connect = async (url: string): Promise<ImapFlow> => {
      if (++opened === 2) {
        const c = await direct(user);
        const lock = await c.getMailboxLock('Sent');
        const old = Number(c.mailbox ? c.mailbox.uidValidity : 0);
        const copies: Buffer[] = [];
        for await (const m of c.fetch('1:*', { source: true })) copies.push(m.source!);
        lock.release();
        await c.mailboxDelete('Sent');
        await c.mailboxCreate('Sent');
        for (const raw of copies) await c.append('Sent', raw);
        const st = await c.status('Sent', { uidValidity: true });
        expect(Number(st && st.uidValidity)).not.toBe(old);
        await c.logout();
      }
      return connectImap(url, { pass: PASS });
    };
    const items: SourceItem[] = [];
    for await (const i of readImap(proxy.url(user), 'mailbox', { pass: PASS }, { connect, reconnect: fast }))
      items.push(i);
    expect(proxy.cuts).toBe(cuts + 1);
    expect(opened).toBe(2);
    const sent = items.filter(
      (i) => i.type === 'message' && i.location.type === 'imap' && i.location.folder === 'Sent',
    );
    expect(sent.length).toBeLessThan(COUNTS.Sent!);
    expect(items.filter((i) => i.type === 'problem')).toEqual([
      {
        type: 'problem',
        item: sent.length ? `Sent after UID ${sent.length}` : 'Sent',
        reason: expect.stringMatching(/^UIDVALIDITY changed while reconnecting/),
      },
    ]);
    expect(items.filter((i) => i.type === 'message')).toHaveLength(
      COUNTS.Archive! + COUNTS.INBOX! + sent.length,
    );
  });
});

describe('IMAP connection reset during dsar erase', () => {
  const planFor = async (url: string) => {
    const spec: SourceSpec = { type: 'imap', kind: 'mailbox', url };
    return (await planFromSources([spec], ANN, noHold())).plan;
  };

  /** Only the subject's messages are gone; every other message is still there, byte for byte. */
  const expectOnlySubjectGone = (
    user: string,
    before: Map<string, Set<string>>,
    after: Map<string, Set<string>>,
  ): void => {
    const about = truth.get(user)!;
    for (const k of before.keys()) {
      const subject = about.has(k.split('/')[1]!);
      expect({ k, gone: !after.has(k) }).toEqual({ k, gone: subject });
    }
    expect(after.size).toBe(before.size - about.size);
  };

  /** Erases the subject from `user`'s account through the proxy, with one cut armed; all must end erased. */
  const eraseThroughCut = async (user: string, cut: Parameters<CutProxy['arm']>[0]): Promise<string> => {
    const before = await inventory(user);
    const plan = await planFor(proxy.url(user));
    expect(plan.items).toHaveLength(truth.get(user)!.size);
    const cuts = proxy.cuts;
    proxy.arm(cut);
    const receipt = join(mkdtempSync(join(tmpdir(), 'resume-receipt-')), 'r.jsonl');
    const open = (url: string): Promise<ImapFlow> => connectImap(url, { pass: PASS });
    const run = await applyErase(plan, ANN, { receipt, imap: (items) => eraseImapItems(items, open, fast) });
    expect(proxy.cuts).toBe(cuts + 1);
    expect(run.summary).toMatchObject({ planned: plan.items.length, erased: plan.items.length, failed: 0 });
    expectOnlySubjectGone(user, before, await inventory(user));
    return receipt;
  };

  it('resumes after a reset that hid the answer to UID EXPUNGE and confirms every item on the server', async () => {
    // Dovecot carries out the UID EXPUNGE; its answer never reaches the client.
    const receipt = await eraseThroughCut('erase@x.org', {
      command: /UID EXPUNGE/,
      nth: 2,
      atAnswer: TAGGED_OK,
    });
    const v = await verifyErase(receipt, ANN);
    expect(v).toMatchObject({ ok: true, remaining: [], unfinished: 0 });
  });

  it('resumes after a reset in the middle of checking a message before erasing it', async () => {
    // The fifth message whose bytes are checked against the search, cut 100 bytes into its answer.
    await eraseThroughCut('check@x.org', {
      command: /UID FETCH \d+ \([^)]*BODY\.PEEK\[\]/,
      nth: 5,
      afterBytes: 100,
    });
  });

  it('reports items flagged but not expunged as unknown when reconnecting fails, and a re-run finishes them', async () => {
    const user = 'half@x.org';
    const before = await inventory(user);
    const plan = await planFor(proxy.url(user));
    // INBOX (second folder): Dovecot sets \Deleted, the reset comes before UID EXPUNGE is sent.
    const cuts = proxy.cuts;
    proxy.arm({ command: /UID STORE/, nth: 2, atAnswer: TAGGED_OK, refuseAfter: true });
    const open = (url: string): Promise<ImapFlow> => connectImap(url, { pass: PASS });
    const receipt = join(mkdtempSync(join(tmpdir(), 'resume-receipt-')), 'r.jsonl');
    let run;
    try {
      run = await applyErase(plan, ANN, { receipt, imap: (items) => eraseImapItems(items, open, fast) });
    } finally {
      proxy.reopen();
    }
    expect(proxy.cuts).toBe(cuts + 1);
    const byFolder = (f: string) =>
      run.outcomes.filter((o) => o.location.type === 'imap' && o.location.folder === f);
    expect(byFolder('Archive').every((o) => o.result === 'erased')).toBe(true);
    expect(byFolder('INBOX').length).toBeGreaterThan(0);
    for (const o of byFolder('INBOX')) {
      expect(o.result).toBe('failed');
      expect(o.reason).toMatch(
        /reconnect attempts failed.*outcome unknown: UID EXPUNGE was sent but not confirmed/,
      );
    }
    for (const o of byFolder('Sent')) {
      expect(o.result).toBe('failed');
      expect(o.reason).toBe('connection lost earlier in this run and not re-established: not touched');
    }
    // On the server: Archive's items gone; INBOX's still there, flagged \Deleted and otherwise intact;
    // nothing else touched.
    const mid = await inventory(user);
    for (const [k, flags] of before) {
      const [folder, hash] = k.split('/') as [string, string];
      const subject = truth.get(user)!.has(hash);
      if (subject && folder === 'Archive') expect(mid.has(k)).toBe(false);
      else expect(mid.has(k)).toBe(true);
      const deleted = mid.get(k)?.has('\\Deleted') ?? false;
      expect({ k, deleted }).toEqual({ k, deleted: subject && folder === 'INBOX' });
      if (!subject) expect(mid.get(k)).toEqual(flags);
    }
    // A re-run through a working connection finds and erases exactly what was left.
    const again = await planFor(dovecot.url(user));
    expect(again.items).toHaveLength(byFolder('INBOX').length + byFolder('Sent').length);
    const run2 = await applyErase(again, ANN, {
      receipt,
      imap: (items) => eraseImapItems(items, open, fast),
    });
    expect(run2.summary).toMatchObject({ erased: again.items.length, failed: 0, changed: 0 });
    expectOnlySubjectGone(user, before, await inventory(user));
  });
});
