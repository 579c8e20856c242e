import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { MBOX_DOTLOCK_STALE_MS, MBOX_DOTLOCK_WAIT_MS } from '../../core/limits.js';

/** A held dotlock; `release` removes it only if it is still ours. */
export interface Dotlock {
  path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock file is stale when its writer on this host is gone (Dovecot and mailmigration tools write
 * `pid:host`), or when nobody touched it for MBOX_DOTLOCK_STALE_MS (Dovecot's rule for locks whose
 * owner it cannot check).
 */
function stale(path: string, now: number): boolean {
  try {
    const st = statSync(path);
    const text = readFileSync(path, 'latin1').trim();
    const m = /^(\d+):(.+)$/.exec(text) ?? /^(\d+)$/.exec(text);
    if (m && (m[2] === undefined || m[2] === hostname()) && !alive(Number(m[1]))) return true;
    return now - st.mtimeMs > MBOX_DOTLOCK_STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Takes `<mbox>.lock` as Dovecot's mbox_write_locks = dotlock does: exclusive create, retried until
 * MBOX_DOTLOCK_WAIT_MS; a stale lock is removed. Returns undefined when another live process holds it.
 */
export async function acquireDotlock(
  mbox: string,
  waitMs = MBOX_DOTLOCK_WAIT_MS,
): Promise<Dotlock | undefined> {
  const path = `${mbox}.lock`;
  const deadline = Date.now() + waitMs;
  const mine = `${process.pid}:${hostname()}\n`;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, mine);
      } finally {
        closeSync(fd);
      }
      return {
        path,
        release() {
          try {
            if (readFileSync(path, 'latin1') === mine) unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (stale(path, Date.now())) {
      try {
        unlinkSync(path);
      } catch {
        // another process removed it first; retry the create
      }
      continue;
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, delay));
  }
}
