import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import type { MatchLocation } from '../types.js';
import type { EraseOutcome } from './types.js';

type ImapLocation = Extract<MatchLocation, { type: 'imap' }>;

/** Credentials for an IMAP URL: a password or an OAuth2 bearer token. */
export interface ImapCredentials {
  pass?: string;
  accessToken?: string;
}

/** Connects to `imap://user@host:port/` (or imaps://); the URL never carries the secret. */
export async function connectImap(
  url: string,
  cred: ImapCredentials,
  tls: { rejectUnauthorized?: boolean } = {},
): Promise<ImapFlow> {
  const u = new URL(url);
  const secure = u.protocol === 'imaps:';
  const client = new ImapFlow({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    auth: {
      user: decodeURIComponent(u.username),
      ...(cred.accessToken ? { accessToken: cred.accessToken } : { pass: cred.pass ?? '' }),
    },
    logger: false,
    disableAutoIdle: true,
    tls,
  });
  // A reset or timed-out socket is emitted as 'error' besides failing the command in flight; with
  // no listener Node would end the whole process. The failed command carries the error to callers.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** How a dropped IMAP connection is re-established: one wait (ms) before each attempt. */
export interface ReconnectPolicy {
  backoffMs: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

/** Three attempts, short waits: a server restarting or a NAT reset, not a long outage, is expected. */
export const RECONNECT_POLICY: ReconnectPolicy = { backoffMs: [250, 1000, 3000] };

/** Opens a new connection after a drop, trying each wait of the policy; the last error if all fail. */
export async function reconnectImap(
  open: () => Promise<ImapFlow>,
  policy: ReconnectPolicy,
): Promise<ImapFlow> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: unknown = new Error('no reconnect attempt allowed');
  for (const ms of policy.backoffMs) {
    await sleep(ms);
    try {
      return await open();
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** An error's short reason: IMAP response text or errno code, never credentials. */
export function imapReason(err: unknown): string {
  const e = err as { code?: string; responseText?: string; authenticationFailed?: boolean; message?: string };
  if (e?.authenticationFailed) return 'authentication failed';
  return e?.responseText ?? e?.code ?? e?.message ?? 'error';
}

/**
 * Drops in a row, in one folder, with no item checked or settled in between, after which the
 * folder is given up: a server that dies on the same command every time would otherwise be
 * reconnected to for ever.
 */
const MAX_DROPS_WITHOUT_PROGRESS = 2;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Erases IMAP messages: in each folder, checks UIDVALIDITY and every message's bytes against the
 * search, sets `\Deleted` on exactly those UIDs and removes them with UID EXPUNGE (RFC 4315). A
 * server without UIDPLUS is refused: a plain EXPUNGE would also remove other messages someone
 * else had marked `\Deleted`.
 *
 * A dropped connection is re-established (bounded by `policy`) and the folder's work resumed: an
 * item is only reported erased once the server, asked again, no longer has its UID. Items the run
 * could not settle are reported failed with why; a re-run of the search and erase finishes them.
 */
export async function eraseImapItems(
  items: readonly ImapLocation[],
  open: (url: string) => Promise<ImapFlow>,
  policy: ReconnectPolicy = RECONNECT_POLICY,
): Promise<EraseOutcome[]> {
  const out: EraseOutcome[] = [];
  const byUrl = new Map<string, ImapLocation[]>();
  for (const i of items) byUrl.set(i.url, [...(byUrl.get(i.url) ?? []), i]);
  for (const [url, list] of byUrl) {
    let client: ImapFlow | undefined;
    try {
      client = await open(url);
    } catch (err) {
      const reason = `cannot connect or log in: ${imapReason(err)}`;
      for (const location of list) out.push({ location, result: 'failed', reason });
      continue;
    }
    try {
      if (!client.capabilities.has('UIDPLUS')) {
        for (const location of list)
          out.push({ location, result: 'failed', reason: 'server lacks UIDPLUS: UID EXPUNGE unavailable' });
        continue;
      }
      const byFolder = new Map<string, ImapLocation[]>();
      for (const i of list) byFolder.set(i.folder, [...(byFolder.get(i.folder) ?? []), i]);
      for (const [folder, locs] of byFolder) {
        const state = new FolderErase(locs);
        if (client) client = await eraseFolderResuming(client, folder, state, () => open(url), policy);
        else state.failRest('connection lost earlier in this run and not re-established: not touched');
        out.push(...state.outcomes());
      }
    } finally {
      const c = client;
      await c?.logout().catch(() => c.close());
    }
  }
  return out;
}

/** What is known about each item of one folder, kept across reconnects. */
class FolderErase {
  private readonly done = new Map<ImapLocation, EraseOutcome>();
  /** Bytes checked against the search: a UID's message never changes under one UIDVALIDITY. */
  readonly verified = new Set<ImapLocation>();
  /** \Deleted + UID EXPUNGE was sent for these: a drop leaves their state unknown until asked. */
  readonly sent = new Set<ImapLocation>();

  constructor(readonly locs: readonly ImapLocation[]) {}

  /** Grows whenever a pass learns something: a drop after progress is worth another reconnect. */
  progress(): number {
    return this.done.size + this.verified.size;
  }

  pending(): ImapLocation[] {
    return this.locs.filter((l) => !this.done.has(l));
  }

  settle(location: ImapLocation, result: EraseOutcome['result'], reason?: string): void {
    this.done.set(location, reason ? { location, result, reason } : { location, result });
  }

  /** Every item without an outcome fails; the reason tells apart untouched and unknown items. */
  failRest(why: string): void {
    for (const l of this.pending())
      this.settle(
        l,
        'failed',
        this.sent.has(l)
          ? `${why}; outcome unknown: UID EXPUNGE was sent but not confirmed (the message may be gone or still flagged \\Deleted); a re-run finishes it`
          : why,
      );
  }

  outcomes(): EraseOutcome[] {
    return this.locs.map((l) => this.done.get(l)!);
  }
}

/** Erases one folder, reconnecting after a drop; returns the live client, or undefined if lost. */
async function eraseFolderResuming(
  first: ImapFlow,
  folder: string,
  state: FolderErase,
  open: () => Promise<ImapFlow>,
  policy: ReconnectPolicy,
): Promise<ImapFlow | undefined> {
  let client = first;
  for (let stalled = 0; ;) {
    const before = state.progress();
    try {
      await eraseFolder(client, folder, state);
      return client;
    } catch (err) {
      // A refusal (folder gone, NO to SELECT) leaves the connection up: not a drop, no retry.
      if (client.usable) {
        state.failRest(`IMAP error: ${imapReason(err)}`);
        return client;
      }
      const what = `connection dropped (${imapReason(err)})`;
      client.close();
      stalled = state.progress() > before ? 0 : stalled + 1;
      try {
        client = await reconnectImap(open, policy);
      } catch (e) {
        state.failRest(`${what} and ${policy.backoffMs.length} reconnect attempts failed (${imapReason(e)})`);
        return undefined;
      }
      if (stalled > MAX_DROPS_WITHOUT_PROGRESS) {
        state.failRest(`${what} ${stalled} times in a row at the same point; folder given up`);
        return client;
      }
    }
  }
}

/**
 * One pass over a folder's pending items. Throws when the connection drops; whatever was settled
 * or verified before stays in `state` for the next pass.
 */
async function eraseFolder(client: ImapFlow, folder: string, state: FolderErase): Promise<void> {
  const lock = await client.getMailboxLock(folder);
  try {
    const box = client.mailbox;
    const validity = box ? Number(box.uidValidity) : -1;
    const toDelete: ImapLocation[] = [];
    for (const loc of state.pending()) {
      if (loc.uidValidity !== validity) {
        if (state.sent.has(loc))
          state.settle(loc, 'failed', 'UIDVALIDITY changed after UID EXPUNGE was sent; outcome unknown');
        else state.settle(loc, 'changed', 'UIDVALIDITY changed since the search; not erased');
        continue;
      }
      // Sent before a drop: asking the server again (below) settles it, whether expunged or not.
      if (state.sent.has(loc) || state.verified.has(loc)) {
        toDelete.push(loc);
        continue;
      }
      const msg = await client.fetchOne(String(loc.uid), { source: true }, { uid: true });
      if (!msg || !msg.source) state.settle(loc, 'missing', 'UID no longer exists');
      else if (sha(msg.source) !== loc.sha256)
        state.settle(loc, 'changed', 'message differs from the search; not erased');
      else {
        state.verified.add(loc);
        toDelete.push(loc);
      }
    }
    if (!toDelete.length) return;
    const uids = toDelete.map((l) => l.uid).join(',');
    for (const l of toDelete) state.sent.add(l);
    // messageDelete sets \Deleted on exactly these UIDs, then sends UID EXPUNGE for them. It reports
    // a failure as false rather than throwing; a dropped connection shows as an unusable client.
    const deleted = await client.messageDelete(uids, { uid: true });
    if (!deleted && !client.usable)
      throw Object.assign(new Error('connection lost'), { code: 'NoConnection' });
    // Check on the server: an expunged UID can never come back (RFC 3501 §2.3.1.1).
    const left = new Set<number>();
    for await (const m of client.fetch(uids, { uid: true }, { uid: true })) left.add(m.uid);
    for (const loc of toDelete) {
      if (!left.has(loc.uid)) state.settle(loc, 'erased');
      else if (deleted) state.settle(loc, 'failed', 'server kept the message after UID EXPUNGE');
      else
        state.settle(
          loc,
          'failed',
          'server refused \\Deleted or UID EXPUNGE; message still there (it may be flagged \\Deleted)',
        );
    }
  } finally {
    lock.release();
  }
}
