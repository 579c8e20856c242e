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
  await client.connect();
  return client;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Erases IMAP messages: in each folder, checks UIDVALIDITY and every message's bytes against the
 * search, sets `\Deleted` on exactly those UIDs and removes them with UID EXPUNGE (RFC 4315). A
 * server without UIDPLUS is refused: a plain EXPUNGE would also remove other messages someone
 * else had marked `\Deleted`.
 */
export async function eraseImapItems(
  items: readonly ImapLocation[],
  open: (url: string) => Promise<ImapFlow>,
): Promise<EraseOutcome[]> {
  const out: EraseOutcome[] = [];
  const byUrl = new Map<string, ImapLocation[]>();
  for (const i of items) byUrl.set(i.url, [...(byUrl.get(i.url) ?? []), i]);
  for (const [url, list] of byUrl) {
    let client: ImapFlow;
    try {
      client = await open(url);
    } catch (err) {
      const reason = `cannot connect or log in: ${(err as { code?: string }).code ?? 'error'}`;
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
      for (const [folder, locs] of byFolder) out.push(...(await eraseFolder(client, folder, locs)));
    } catch (err) {
      // The connection dropped mid-run: items not yet reported stay as they were on the server.
      const reason = `IMAP error: ${(err as { code?: string }).code ?? 'connection lost'}`;
      for (const location of list)
        if (!out.some((o) => o.location === location)) out.push({ location, result: 'failed', reason });
    } finally {
      await client.logout().catch(() => undefined);
    }
  }
  return out;
}

async function eraseFolder(client: ImapFlow, folder: string, locs: ImapLocation[]): Promise<EraseOutcome[]> {
  const out: EraseOutcome[] = [];
  const lock = await client.getMailboxLock(folder);
  try {
    const box = client.mailbox;
    const validity = box ? Number(box.uidValidity) : -1;
    const ok: ImapLocation[] = [];
    for (const loc of locs) {
      if (loc.uidValidity !== validity) {
        out.push({
          location: loc,
          result: 'changed',
          reason: 'UIDVALIDITY changed since the search; not erased',
        });
        continue;
      }
      const msg = await client.fetchOne(String(loc.uid), { source: true }, { uid: true });
      if (!msg || !msg.source) out.push({ location: loc, result: 'missing', reason: 'UID no longer exists' });
      else if (sha(msg.source) !== loc.sha256)
        out.push({ location: loc, result: 'changed', reason: 'message differs from the search; not erased' });
      else ok.push(loc);
    }
    if (ok.length) {
      const uids = ok.map((l) => l.uid).join(',');
      // messageDelete sets \Deleted on exactly these UIDs, then sends UID EXPUNGE for them.
      await client.messageDelete(uids, { uid: true });
      // Check on the server: an expunged UID can never come back (RFC 3501 §2.3.1.1).
      const left = new Set<number>();
      for await (const m of client.fetch(uids, { uid: true }, { uid: true })) left.add(m.uid);
      for (const loc of ok)
        out.push(
          left.has(loc.uid)
            ? { location: loc, result: 'failed', reason: 'server kept the message after UID EXPUNGE' }
            : { location: loc, result: 'erased' },
        );
    }
  } finally {
    lock.release();
  }
  return out;
}
