import type { ImapFlow } from 'imapflow';
import {
  connectImap,
  imapReason,
  reconnectImap,
  RECONNECT_POLICY,
  type ImapCredentials,
  type ReconnectPolicy,
} from '../erase/imap.js';
import type { SourceKind } from '../types.js';
import { sha256 } from './fs-util.js';
import { redactUrl } from './redact.js';
import type { SourceItem } from './types.js';

/** IMAP secrets come from the environment (as for `dsar erase`), never from the URL or argv. */
export function imapCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): ImapCredentials {
  if (env.MAILCOMPLY_IMAP_TOKEN) return { accessToken: env.MAILCOMPLY_IMAP_TOKEN };
  return { pass: env.MAILCOMPLY_IMAP_PASSWORD ?? '' };
}

const SPECIAL_KIND: Record<string, SourceKind> = {
  '\\Sent': 'sent',
  '\\Archive': 'archive',
  '\\Junk': 'quarantine',
};

/**
 * Drops in a row, in one folder, with no message read in between, after which the folder is given
 * up: a server that dies on the same message every time would otherwise be reconnected to for ever.
 */
const MAX_DROPS_WITHOUT_PROGRESS = 2;

/** Seams of {@link readImap}: how to connect (tests put a proxy or a fake here) and to reconnect. */
export interface ReadImapOptions {
  connect?: (url: string, cred: ImapCredentials) => Promise<ImapFlow>;
  reconnect?: ReconnectPolicy;
}

/** The live connection of a run; replaced after a drop. */
interface Link {
  client: ImapFlow | undefined;
  open: () => Promise<ImapFlow>;
  policy: ReconnectPolicy;
}

/**
 * Reads every selectable folder of an IMAP account (read-only EXAMINE, so \Seen flags are not
 * touched): each message's full source with its folder, UIDVALIDITY and UID.
 *
 * When the connection drops (reset, close, socket timeout) during a folder, it reconnects (bounded
 * by the policy), re-opens the folder, checks that UIDVALIDITY is unchanged and continues with
 * `UID FETCH <last UID read + 1>:*`, so each message is yielded once. Every drop is reported as one
 * problem item saying whether reading resumed; a folder that could not be finished says after which
 * UID it stopped. A folder the server refuses is reported and the other folders are still read.
 */
export async function* readImap(
  url: string,
  kind: SourceKind,
  cred: ImapCredentials,
  opts: ReadImapOptions = {},
): AsyncGenerator<SourceItem> {
  const shown = redactUrl(url);
  const connect = opts.connect ?? connectImap;
  const link: Link = {
    client: undefined,
    open: () => connect(url, cred),
    policy: opts.reconnect ?? RECONNECT_POLICY,
  };
  try {
    link.client = await link.open();
  } catch (err) {
    yield { type: 'problem', item: shown, reason: `cannot connect or log in: ${imapReason(err)}` };
    return;
  }
  try {
    let boxes;
    try {
      boxes = await link.client.list();
    } catch (err) {
      yield { type: 'problem', item: shown, reason: `cannot list folders: ${imapReason(err)}` };
      return;
    }
    boxes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const box of boxes) {
      if (box.flags.has('\\Noselect') || box.flags.has('\\NonExistent')) continue;
      if (!link.client) {
        yield {
          type: 'problem',
          item: box.path,
          reason: 'not read: the connection was lost earlier in this run',
        };
        continue;
      }
      const folderKind = kind === 'mailbox' ? (SPECIAL_KIND[box.specialUse ?? ''] ?? kind) : kind;
      yield* readFolder(link, box.path, folderKind, shown);
    }
  } finally {
    const c = link.client;
    await c?.logout().catch(() => c.close());
  }
}

/** Reads one folder, resuming after drops; leaves `link.client` undefined if the connection is lost. */
async function* readFolder(
  link: Link,
  path: string,
  kind: SourceKind,
  shown: string,
): AsyncGenerator<SourceItem> {
  let lastUid = 0;
  let uidValidity: number | undefined;
  let stalled = 0;
  // Reported once the folder is open again with the same UIDVALIDITY, i.e. once resuming is sound.
  let resumed: string | undefined;
  for (;;) {
    const client = link.client!;
    const uidBefore = lastUid;
    try {
      const mb = await client.mailboxOpen(path, { readOnly: true });
      const validity = Number(mb.uidValidity);
      if (uidValidity !== undefined && validity !== uidValidity) {
        yield {
          type: 'problem',
          item: where(path, lastUid),
          reason:
            'UIDVALIDITY changed while reconnecting, so UIDs no longer name the same messages: the rest of the folder was not read; search it again',
        };
        return;
      }
      uidValidity = validity;
      if (resumed) yield { type: 'problem', item: where(path, lastUid), reason: resumed };
      resumed = undefined;
      if (mb.exists === 0) return;
      // UID FETCH from the first UID not yet read. `N:*` also returns the highest UID when that is
      // below N (RFC 3501 §6.4.8), and UIDs ascend with sequence numbers: skip what was already read.
      for await (const msg of client.fetch(`${lastUid + 1}:*`, { uid: true, source: true }, { uid: true })) {
        if (msg.uid <= lastUid) continue;
        lastUid = msg.uid;
        if (!msg.source) {
          yield { type: 'problem', item: `${path} UID ${msg.uid}`, reason: 'server sent no message source' };
          continue;
        }
        yield {
          type: 'message',
          raw: msg.source,
          location: {
            type: 'imap',
            kind,
            url: shown,
            folder: path,
            uidValidity: validity,
            uid: msg.uid,
            sha256: sha256(msg.source),
          },
        };
      }
      return;
    } catch (err) {
      const at = where(path, lastUid);
      // A refusal (NO/BAD) leaves the connection up: the folder is reported, not retried.
      if (client.usable) {
        yield { type: 'problem', item: at, reason: `folder not fully read: ${imapReason(err)}` };
        return;
      }
      client.close();
      const dropped = `connection dropped (${imapReason(err)})`;
      stalled = lastUid > uidBefore ? 0 : stalled + 1;
      if (stalled > MAX_DROPS_WITHOUT_PROGRESS) {
        yield {
          type: 'problem',
          item: at,
          reason: `${dropped} ${stalled} times in a row at the same message: the rest of the folder was not read`,
        };
      }
      try {
        link.client = await reconnectImap(link.open, link.policy);
      } catch (e) {
        link.client = undefined;
        yield {
          type: 'problem',
          item: at,
          reason: `${dropped} and ${link.policy.backoffMs.length} reconnect attempts failed (${imapReason(e)}): the rest of the folder was not read`,
        };
        return;
      }
      if (stalled > MAX_DROPS_WITHOUT_PROGRESS) return;
      resumed = `${dropped}; reconnected, UIDVALIDITY unchanged, resumed with UID FETCH ${lastUid + 1}:*${lastUid ? ` (UIDs up to ${lastUid} already read)` : ''}`;
    }
  }
}

/** A folder and how far it was read, for problem items. */
function where(path: string, lastUid: number): string {
  return lastUid ? `${path} after UID ${lastUid}` : path;
}
