import {
  chmodSync,
  chownSync,
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * The end of every rewrite `dsar erase` does (mbox, log lines): the temporary copy's data is synced,
 * it gets the original's owner and mode, replaces it with one rename, and the folder is synced so the
 * rename survives a crash. Closes `fd` whatever happens.
 */
export function commitRewrite(fd: number, tmp: string, path: string, original: Stats): void {
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chownSync(tmp, original.uid, original.gid);
  } catch {
    // only root may give the file away; as the owner the ids already match
  }
  chmodSync(tmp, original.mode & 0o7777);
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } catch {
    // directory fsync is best effort
  } finally {
    closeSync(dir);
  }
}

/** Closes what a rewrite left open and removes its temporary file unless it was put in place. */
export function abandonRewrite(fds: readonly (number | undefined)[], tmp: string): void {
  for (const fd of fds) if (fd !== undefined) closeSync(fd);
  try {
    unlinkSync(tmp);
  } catch {
    // renamed or never created
  }
}
