import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { eraseImapItems } from '../erase/imap.js';
import type { EraseOutcome } from '../erase/types.js';
import { readImap } from './imap.js';
import type { SourceItem } from './types.js';

/**
 * The resume logic of the IMAP reader and eraser against a scripted stand-in for an ImapFlow client: no
 * server needed, so every path (drop after the last message, the same drop again and again,
 * refusals, failed reconnects) is reached on purpose. test/system/dsar-imap-resume.test.ts covers the wire against a real Dovecot.
 */

interface Folder {
  uidValidity: number;
  uids: number[];
  /** Refuse EXAMINE with NO (the connection stays up). */
  refuse?: boolean;
}

interface Script {
  folders: Record<string, Folder>;
  /** Drop the connection right after sending this UID of this folder (`INBOX:3`), once per entry. */
  drops: string[];
  /** Drop every time, while sending this UID (a message the server cannot get out). */
  alwaysDropAt?: string;
  /** Connections after the first one fail to open. */
  refuseReconnect?: boolean;
  /** Called when a connection is opened (1-based), before it is handed out. */
  onOpen?: (n: number) => void;
  fetches: string[];
  opened: number;
}

const dropped = (): Error => Object.assign(new Error('Connection not available'), { code: 'NoConnection' });

function fakeClient(s: Script): ImapFlow {
  const c = {
    usable: true,
    async list() {
      return Object.keys(s.folders).map((path) => ({ path, flags: new Set<string>() }));
    },
    async mailboxOpen(path: string) {
      if (!c.usable) throw dropped();
      const f = s.folders[path]!;
      if (f.refuse) throw Object.assign(new Error('NO'), { responseText: 'Mailbox is not selectable' });
      return { path, exists: f.uids.length, uidValidity: BigInt(f.uidValidity) };
    },
    async *fetch(range: string, _q: unknown, opts: { uid?: boolean }) {
      expect(opts).toEqual({ uid: true });
      s.fetches.push(range);
      const path = current;
      const from = Number(range.split(':')[0]);
      const uids = s.folders[path]!.uids;
      // RFC 3501 §6.4.8: `N:*` with N above the highest UID still names the highest UID.
      const hit = uids.filter((u) => u >= from);
      for (const uid of hit.length ? hit : uids.slice(-1)) {
        if (s.alwaysDropAt === `${path}:${uid}`) {
          c.usable = false;
          throw dropped();
        }
        yield { uid, source: Buffer.from(`Subject: ${path} ${uid}\r\n\r\nx\r\n`) };
        const at = `${path}:${uid}`;
        const i = s.drops.indexOf(at);
        if (i >= 0) {
          s.drops.splice(i, 1);
          c.usable = false;
          throw dropped();
        }
      }
    },
    async logout() {
      c.usable = false;
    },
    close() {
      c.usable = false;
    },
  };
  let current = '';
  const open = c.mailboxOpen;
  c.mailboxOpen = async (path: string) => {
    current = path;
    return open(path);
  };
  return c as unknown as ImapFlow;
}

function script(folders: Record<string, Folder>, extra: Partial<Script> = {}): Script {
  return { folders, drops: [], fetches: [], opened: 0, ...extra };
}

async function read(s: Script, sleeps: number[] = []): Promise<SourceItem[]> {
  const connect = async (): Promise<ImapFlow> => {
    s.opened++;
    s.onOpen?.(s.opened);
    if (s.opened > 1 && s.refuseReconnect)
      throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    return fakeClient(s);
  };
  const items: SourceItem[] = [];
  const reconnect = { backoffMs: [1, 2, 3], sleep: async (ms: number) => void sleeps.push(ms) };
  for await (const i of readImap(
    'imap://u%40x.org@127.0.0.1:1/',
    'mailbox',
    { pass: 'pw' },
    { connect, reconnect },
  ))
    items.push(i);
  return items;
}

const uidsOf = (items: SourceItem[]): string[] =>
  items.flatMap((i) =>
    i.type === 'message' && i.location.type === 'imap' ? [`${i.location.folder}:${i.location.uid}`] : [],
  );
const problemsOf = (items: SourceItem[]) => items.filter((i) => i.type === 'problem');

describe('IMAP reader: resuming after a dropped connection', () => {
  it('resumes with UID FETCH after the last UID read and yields each message once', async () => {
    const s = script(
      { A: { uidValidity: 7, uids: [2, 4, 9] }, INBOX: { uidValidity: 8, uids: [1, 3, 5, 6, 10] } },
      { drops: ['INBOX:3'] },
    );
    const items = await read(s);
    expect(uidsOf(items)).toEqual([
      'A:2',
      'A:4',
      'A:9',
      'INBOX:1',
      'INBOX:3',
      'INBOX:5',
      'INBOX:6',
      'INBOX:10',
    ]);
    expect(s.fetches).toEqual(['1:*', '1:*', '4:*']);
    expect(s.opened).toBe(2);
    expect(problemsOf(items)).toEqual([
      {
        type: 'problem',
        item: 'INBOX after UID 3',
        reason:
          'connection dropped (NoConnection); reconnected, UIDVALIDITY unchanged, resumed with UID FETCH 4:* (UIDs up to 3 already read)',
      },
    ]);
    // The report comes before the resumed messages, in reading order.
    expect(items.findIndex((i) => i.type === 'problem')).toBe(5);
  });

  it('skips the highest UID a server returns for N:* when the drop came after the last message', async () => {
    const s = script({ INBOX: { uidValidity: 1, uids: [1, 2, 3] } }, { drops: ['INBOX:3'] });
    const items = await read(s);
    expect(s.fetches).toEqual(['1:*', '4:*']);
    expect(uidsOf(items)).toEqual(['INBOX:1', 'INBOX:2', 'INBOX:3']);
    expect(problemsOf(items)).toHaveLength(1);
  });

  it('resumes again after each drop that made progress', async () => {
    const s = script(
      { INBOX: { uidValidity: 1, uids: [1, 2, 3, 4, 5] } },
      { drops: ['INBOX:1', 'INBOX:2', 'INBOX:4'] },
    );
    const items = await read(s);
    expect(uidsOf(items)).toEqual(['INBOX:1', 'INBOX:2', 'INBOX:3', 'INBOX:4', 'INBOX:5']);
    expect(s.fetches).toEqual(['1:*', '2:*', '3:*', '5:*']);
    expect(problemsOf(items).map((p) => p.item)).toEqual([
      'INBOX after UID 1',
      'INBOX after UID 2',
      'INBOX after UID 4',
    ]);
  });

  it('gives a folder up when the server drops at the same message every time, and reads the next one', async () => {
    const s = script(
      { INBOX: { uidValidity: 1, uids: [1, 2, 3] }, Sent: { uidValidity: 2, uids: [1] } },
      { alwaysDropAt: 'INBOX:2' },
    );
    const items = await read(s);
    expect(uidsOf(items)).toEqual(['INBOX:1', 'Sent:1']);
    expect(s.fetches).toEqual(['1:*', '2:*', '2:*', '2:*', '1:*']);
    expect(problemsOf(items).at(-1)).toEqual({
      type: 'problem',
      item: 'INBOX after UID 1',
      reason:
        'connection dropped (NoConnection) 3 times in a row at the same message: the rest of the folder was not read',
    });
  });

  it('reports what was not read when every reconnect attempt fails, after the policy waits', async () => {
    const sleeps: number[] = [];
    const s = script(
      {
        A: { uidValidity: 1, uids: [1, 2, 3] },
        B: { uidValidity: 1, uids: [1] },
        C: { uidValidity: 1, uids: [1] },
      },
      { drops: ['A:2'], refuseReconnect: true },
    );
    const items = await read(s, sleeps);
    expect(sleeps).toEqual([1, 2, 3]);
    expect(s.opened).toBe(4);
    expect(uidsOf(items)).toEqual(['A:1', 'A:2']);
    expect(problemsOf(items)).toEqual([
      {
        type: 'problem',
        item: 'A after UID 2',
        reason:
          'connection dropped (NoConnection) and 3 reconnect attempts failed (ECONNREFUSED): the rest of the folder was not read',
      },
      { type: 'problem', item: 'B', reason: 'not read: the connection was lost earlier in this run' },
      { type: 'problem', item: 'C', reason: 'not read: the connection was lost earlier in this run' },
    ]);
  });

  it('does not resume when UIDVALIDITY changed while reconnecting', async () => {
    const s = script(
      { INBOX: { uidValidity: 5, uids: [1, 2, 3] }, Z: { uidValidity: 1, uids: [1] } },
      { drops: ['INBOX:1'] },
    );
    s.onOpen = (n) => {
      if (n === 2) s.folders.INBOX = { uidValidity: 6, uids: [1, 2, 3] };
    };
    const items = await read(s);
    expect(uidsOf(items)).toEqual(['INBOX:1', 'Z:1']);
    expect(s.fetches).toEqual(['1:*', '1:*']);
    expect(problemsOf(items)).toEqual([
      {
        type: 'problem',
        item: 'INBOX after UID 1',
        reason: expect.stringMatching(
          /^UIDVALIDITY changed while reconnecting, so UIDs no longer name the same messages/,
        ),
      },
    ]);
  });

  it('reports a folder the server refuses without reconnecting, and reads the others', async () => {
    const s = script({ A: { uidValidity: 1, uids: [1], refuse: true }, B: { uidValidity: 1, uids: [1, 2] } });
    const items = await read(s);
    expect(s.opened).toBe(1);
    expect(uidsOf(items)).toEqual(['B:1', 'B:2']);
    expect(problemsOf(items)).toEqual([
      { type: 'problem', item: 'A', reason: 'folder not fully read: Mailbox is not selectable' },
    ]);
  });
});

/** A scripted mail store for the erase side: UIDs per folder, and where the connection drops. */
interface EraseScript {
  folders: Record<string, { uidValidity: number; uids: Set<number> }>;
  /** Drop while checking this UID's bytes (`INBOX:3`), once. */
  dropOnCheck?: string;
  /** Drop on every \Deleted + UID EXPUNGE in this folder, without applying it. */
  dropOnDelete?: string;
  checks: string[];
  opened: number;
}

const imapLoc = (o: EraseOutcome): { folder: string; uid: number } =>
  o.location as { folder: string; uid: number };
const bytesOf = (folder: string, uid: number): Buffer =>
  Buffer.from(`Subject: ${folder} ${uid}\r\n\r\nx\r\n`);
const shaOf = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function fakeEraseClient(s: EraseScript): ImapFlow {
  let folder = '';
  const c = {
    usable: true,
    capabilities: new Map([['UIDPLUS', true]]),
    mailbox: undefined as undefined | { uidValidity: bigint },
    async getMailboxLock(path: string) {
      if (!c.usable) throw dropped();
      folder = path;
      c.mailbox = { uidValidity: BigInt(s.folders[path]!.uidValidity) };
      return { release: () => undefined };
    },
    async fetchOne(uid: string) {
      if (!c.usable) throw dropped();
      s.checks.push(`${folder}:${uid}`);
      if (s.dropOnCheck === `${folder}:${uid}`) {
        s.dropOnCheck = undefined;
        c.usable = false;
        throw dropped();
      }
      return s.folders[folder]!.uids.has(Number(uid))
        ? { uid: Number(uid), source: bytesOf(folder, Number(uid)) }
        : false;
    },
    async messageDelete(uids: string) {
      if (s.dropOnDelete === folder) {
        c.usable = false;
        return false;
      }
      for (const u of uids.split(',')) s.folders[folder]!.uids.delete(Number(u));
      return true;
    },
    async *fetch(uids: string) {
      for (const u of uids.split(',').map(Number)) if (s.folders[folder]!.uids.has(u)) yield { uid: u };
    },
    async logout() {
      c.usable = false;
    },
    close() {
      c.usable = false;
    },
  };
  return c as unknown as ImapFlow;
}

function eraseItems(s: EraseScript, url: string) {
  return Object.entries(s.folders).flatMap(([folder, f]) =>
    [...f.uids].map((uid) => ({
      type: 'imap' as const,
      kind: 'mailbox' as const,
      url,
      folder,
      uidValidity: f.uidValidity,
      uid,
      sha256: shaOf(bytesOf(folder, uid)),
    })),
  );
}

describe('IMAP erase: resuming after a dropped connection', () => {
  const url = 'imap://u%40x.org@127.0.0.1:1/';
  const policy = { backoffMs: [1, 1, 1], sleep: async () => undefined };

  it('keeps what it checked before the drop and erases every item once the connection is back', async () => {
    const s: EraseScript = {
      folders: { INBOX: { uidValidity: 3, uids: new Set([1, 2, 3, 4]) } },
      dropOnCheck: 'INBOX:3',
      checks: [],
      opened: 0,
    };
    const open = async () => (s.opened++, fakeEraseClient(s));
    const out = await eraseImapItems(eraseItems(s, url), open, policy);
    expect(out.map((o) => [imapLoc(o).uid, o.result])).toEqual([
      [1, 'erased'],
      [2, 'erased'],
      [3, 'erased'],
      [4, 'erased'],
    ]);
    expect(s.opened).toBe(2);
    // UIDs 1 and 2 were checked before the drop and not downloaded again; 3 was asked for twice.
    expect(s.checks).toEqual(['INBOX:1', 'INBOX:2', 'INBOX:3', 'INBOX:3', 'INBOX:4']);
    expect(s.folders.INBOX!.uids.size).toBe(0);
  });

  it('gives a folder up after drops that change nothing, marks its items unknown, and erases the next folder', async () => {
    const s: EraseScript = {
      folders: {
        A: { uidValidity: 1, uids: new Set([5, 6]) },
        B: { uidValidity: 1, uids: new Set([7]) },
      },
      dropOnDelete: 'A',
      checks: [],
      opened: 0,
    };
    const open = async () => (s.opened++, fakeEraseClient(s));
    const out = await eraseImapItems(eraseItems(s, url), open, policy);
    expect(out.map((o) => [imapLoc(o).folder, imapLoc(o).uid, o.result])).toEqual([
      ['A', 5, 'failed'],
      ['A', 6, 'failed'],
      ['B', 7, 'erased'],
    ]);
    expect(out[0]!.reason).toBe(
      'connection dropped (NoConnection) 3 times in a row at the same point; folder given up; outcome unknown: UID EXPUNGE was sent but not confirmed (the message may be gone or still flagged \\Deleted); a re-run finishes it',
    );
    // The first drop came after both items were checked (progress), then three without progress.
    expect(s.opened).toBe(5);
    expect(s.folders.A!.uids).toEqual(new Set([5, 6]));
  });
});
