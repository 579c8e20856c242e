import type { ImapFlow } from 'imapflow';
import { connectImap, type ImapCredentials } from '../erase/imap.js';
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
 * Reads every selectable folder of an IMAP account (read-only EXAMINE, so \Seen flags are not
 * touched): each message's full source with its folder, UIDVALIDITY and UID. A folder that fails
 * (or a connection dropped mid-fetch) is reported; the other folders are still read, on a new
 * connection when the old one is gone.
 */
export async function* readImap(
  url: string,
  kind: SourceKind,
  cred: ImapCredentials,
): AsyncGenerator<SourceItem> {
  const shown = redactUrl(url);
  let client: ImapFlow;
  try {
    client = await connectImap(url, cred);
  } catch (err) {
    yield { type: 'problem', item: shown, reason: `cannot connect or log in: ${reason(err)}` };
    return;
  }
  try {
    let boxes;
    try {
      boxes = await client.list();
    } catch (err) {
      yield { type: 'problem', item: shown, reason: `cannot list folders: ${reason(err)}` };
      return;
    }
    boxes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const box of boxes) {
      if (box.flags.has('\\Noselect') || box.flags.has('\\NonExistent')) continue;
      const folderKind = kind === 'mailbox' ? (SPECIAL_KIND[box.specialUse ?? ''] ?? kind) : kind;
      if (!client.usable) {
        try {
          client = await connectImap(url, cred);
        } catch (err) {
          yield { type: 'problem', item: `${shown} ${box.path}`, reason: `cannot reconnect: ${reason(err)}` };
          return;
        }
      }
      let lastUid = 0;
      try {
        const mb = await client.mailboxOpen(box.path, { readOnly: true });
        if (mb.exists === 0) continue;
        const uidValidity = Number(mb.uidValidity);
        for await (const msg of client.fetch('1:*', { uid: true, source: true })) {
          if (!msg.source) {
            yield {
              type: 'problem',
              item: `${box.path} UID ${msg.uid}`,
              reason: 'server sent no message source',
            };
            continue;
          }
          lastUid = msg.uid;
          yield {
            type: 'message',
            raw: msg.source,
            location: {
              type: 'imap',
              kind: folderKind,
              url: shown,
              folder: box.path,
              uidValidity,
              uid: msg.uid,
              sha256: sha256(msg.source),
            },
          };
        }
      } catch (err) {
        yield {
          type: 'problem',
          item: `${box.path}${lastUid ? ` after UID ${lastUid}` : ''}`,
          reason: `folder not fully read: ${reason(err)}`,
        };
      }
    }
  } finally {
    const c = client;
    await c.logout().catch(() => c.close());
  }
}

/** An error's short reason: IMAP response text or errno code, never credentials. */
function reason(err: unknown): string {
  const e = err as { code?: string; responseText?: string; authenticationFailed?: boolean; message?: string };
  if (e.authenticationFailed) return 'authentication failed';
  return e.responseText ?? e.code ?? e.message ?? 'error';
}
