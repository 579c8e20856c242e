import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DSAR_MAX_MESSAGE_BYTES } from '../../core/limits.js';
import type { SourceKind } from '../types.js';
import { readReason, sha256, sourceReason } from './fs-util.js';
import { readMessageFile } from './read-file.js';
import type { SourceItem } from './types.js';

/**
 * Reads a Maildir (Dovecot Maildir++ layout): the root's cur/ and new/ are INBOX, every `.Name`
 * subfolder (`.Sent`, `.Archive.2023`) is a folder with its own cur/ and new/. tmp/ holds
 * deliveries in progress and is skipped; index and cache files are not mail.
 */
export async function* readMaildir(root: string, kind: SourceKind): AsyncGenerator<SourceItem> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    yield { type: 'problem', item: root, reason: sourceReason(err) };
    return;
  }
  const folders = [''];
  for (const e of entries)
    if (e.isDirectory() && e.name.startsWith('.') && e.name !== '.' && e.name !== '..')
      folders.push(e.name.slice(1));
  folders.sort();
  for (const folder of folders) {
    const dir = folder === '' ? root : join(root, `.${folder}`);
    for (const sub of ['cur', 'new'] as const) {
      let files: string[];
      try {
        files = (await readdir(join(dir, sub))).sort();
      } catch (err) {
        // A folder without new/ (or cur/) is normal after a crash or a manual copy.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        yield { type: 'problem', item: `${folder || 'INBOX'}/${sub}`, reason: readReason(err) };
        continue;
      }
      for (const file of files) {
        if (file.startsWith('.')) continue;
        const item = `${folder || 'INBOX'}/${sub}/${file}`;
        try {
          const found = await readFollowingRename(dir, sub, file);
          if (!found) {
            yield { type: 'problem', item, reason: 'vanished during the scan (expunged or moved)' };
            continue;
          }
          const { raw } = found;
          if (raw === 'not-a-file') continue;
          if (raw === 'oversize') {
            yield {
              type: 'problem',
              item,
              reason: `larger than ${DSAR_MAX_MESSAGE_BYTES} bytes, not searched`,
            };
            continue;
          }
          yield {
            type: 'message',
            raw,
            location: {
              type: 'maildir',
              kind: folderKind(kind, folder),
              path: root,
              folder,
              sub: found.sub,
              file: found.file,
              sha256: sha256(raw),
            },
          };
        } catch (err) {
          yield { type: 'problem', item, reason: readReason(err) };
        }
      }
    }
  }
}

/**
 * Reads a message file; when it is gone, looks for the same message under its new name: Dovecot
 * renames a file when its flags change (`:2,S` to `:2,RS`) and moves it from new/ to cur/ when a
 * client first sees it, both of which happen while a scan runs. The part before ':' stays.
 */
async function readFollowingRename(
  dir: string,
  sub: 'cur' | 'new',
  file: string,
): Promise<{ raw: ReturnType<typeof readMessageFile>; sub: 'cur' | 'new'; file: string } | undefined> {
  try {
    return { raw: readMessageFile(join(dir, sub, file)), sub, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const base = file.split(':')[0] as string;
  let names: string[];
  try {
    names = await readdir(join(dir, 'cur'));
  } catch {
    return undefined;
  }
  const moved = names.find((n) => n !== file && n.split(':')[0] === base);
  if (!moved) return undefined;
  try {
    return { raw: readMessageFile(join(dir, 'cur', moved)), sub: 'cur', file: moved };
  } catch {
    return undefined;
  }
}

/**
 * A mailbox's Sent, Archive and Junk folders hold other kinds of data than its INBOX (and have
 * their own retention): Dovecot's usual folder names decide, unless the source was given a kind.
 */
export function folderKind(kind: SourceKind, folder: string): SourceKind {
  if (kind !== 'mailbox') return kind;
  const top = (folder.split('.')[0] ?? '').toLowerCase();
  if (top === 'sent' || top === 'sent items' || top === 'sent messages') return 'sent';
  if (top === 'archive' || top === 'archives') return 'archive';
  if (top === 'junk' || top === 'spam' || top === 'quarantine') return 'quarantine';
  return kind;
}
