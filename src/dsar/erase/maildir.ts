import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { MatchLocation } from '../types.js';
import type { EraseOutcome } from './types.js';

type MaildirLocation = Extract<MatchLocation, { type: 'maildir' }>;

/** Folder directory of a Dovecot Maildir++ folder ('' is the root INBOX). */
export function maildirFolderPath(root: string, folder: string): string {
  return folder === '' ? root : join(root, `.${folder}`);
}

/** The unique part of a Maildir file name; flags after ':2,' change when a client marks the message. */
function uniquePart(file: string): string {
  const i = file.indexOf(':2,');
  return i < 0 ? file : file.slice(0, i);
}

/** Finds the item's current file: same unique name, flags may differ, and it may have moved new -> cur. */
export function findMaildirFile(loc: MaildirLocation): string | undefined {
  const dir = maildirFolderPath(loc.path, loc.folder);
  const want = uniquePart(loc.file);
  for (const sub of [loc.sub, loc.sub === 'new' ? 'cur' : 'new']) {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    if (names.includes(loc.file)) return join(dir, sub, loc.file);
    const hit = names.find((n) => uniquePart(n) === want);
    if (hit) return join(dir, sub, hit);
  }
  return undefined;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems refuse to fsync a directory; the unlink itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Deletes one Maildir message by unlink (atomic: a reader sees the whole file or none), after checking
 * its bytes still hash to what the search saw, so a message replaced since the plan is never removed.
 */
export function eraseMaildirItem(loc: MaildirLocation): EraseOutcome {
  const file = findMaildirFile(loc);
  if (!file) return { location: loc, result: 'missing', reason: 'message file no longer exists' };
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { location: loc, result: 'missing', reason: 'message file vanished' };
    return { location: loc, result: 'failed', reason: `cannot read: ${code ?? 'error'}` };
  }
  if (createHash('sha256').update(bytes).digest('hex') !== loc.sha256)
    return { location: loc, result: 'changed', reason: 'message changed since the search; not erased' };
  try {
    unlinkSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { location: loc, result: 'missing', reason: 'message file vanished' };
    return { location: loc, result: 'failed', reason: `cannot unlink: ${code ?? 'error'}` };
  }
  fsyncDir(join(file, '..'));
  return { location: loc, result: 'erased' };
}
