import { createHash } from 'node:crypto';
import { openSync, readdirSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { MatchLocation } from '../types.js';
import { acquireDotlock } from './dotlock.js';
import { abandonRewrite, commitRewrite } from './rewrite.js';
import type { EraseOutcome } from './types.js';

type MboxLocation = Extract<MatchLocation, { type: 'mbox' }>;

/** Called once per removed message, before the rename: the kill-mid-erase test pauses here. */
export type StepHook = () => Promise<void>;

const CHUNK = 1 << 20;

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.mailcomply-${process.pid}.tmp`);
}

/** Removes temp files a killed earlier run left beside the mbox (their process is gone). */
function removeStaleTemps(path: string): void {
  const prefix = `.${basename(path)}.mailcomply-`;
  for (const n of readdirSync(dirname(path))) {
    const m = n.startsWith(prefix) ? /-(\d+)\.tmp$/.exec(n) : null;
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive || pid === process.pid) {
      try {
        unlinkSync(join(dirname(path), n));
      } catch {
        // gone already
      }
    }
  }
}

/**
 * Removes the given messages from one mbox: copies every other byte to a temp file under the dotlock,
 * checks each removed range still hashes to what the search saw, fsyncs, then renames over the mbox.
 * Any mismatch or error abandons the temp file, so the mbox is rewritten whole or not at all.
 */
export async function eraseMboxItems(
  path: string,
  items: readonly MboxLocation[],
  step: StepHook = async () => undefined,
): Promise<EraseOutcome[]> {
  const fail = (result: EraseOutcome['result'], reason: string): EraseOutcome[] =>
    items.map((location) => ({ location, result, reason }));
  if (path.endsWith('.gz')) return fail('failed', 'compressed mbox: decompress it first, then erase');
  const ranges = [...items].sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++)
    if (ranges[i]!.start < ranges[i - 1]!.end) return fail('failed', 'overlapping message ranges');
  const lock = await acquireDotlock(path);
  if (!lock) return fail('failed', 'mailbox is locked by another process');
  const tmp = tempName(path);
  let src: number | undefined;
  let dst: number | undefined;
  try {
    removeStaleTemps(path);
    const st = statSync(path);
    src = openSync(path, 'r');
    dst = openSync(tmp, 'wx', st.mode & 0o7777);
    const buf = Buffer.allocUnsafe(CHUNK);
    const copy = (from: number, to: number, hash?: ReturnType<typeof createHash>): void => {
      for (let pos = from; pos < to;) {
        const n = readSync(src!, buf, 0, Math.min(CHUNK, to - pos), pos);
        if (n === 0) throw Object.assign(new Error('short read'), { code: 'ESHORT' });
        if (hash) hash.update(buf.subarray(0, n));
        else writeSync(dst!, buf, 0, n);
        pos += n;
      }
    };
    let at = 0;
    for (const r of ranges) {
      if (r.end > st.size) return fail('changed', 'mbox is shorter than when searched; not rewritten');
      copy(at, r.start);
      const h = createHash('sha256');
      copy(r.start, r.end, h);
      if (h.digest('hex') !== r.sha256)
        return fail('changed', 'mbox changed since the search; not rewritten');
      at = r.end;
      await step();
    }
    copy(at, st.size);
    const fd = dst;
    dst = undefined;
    commitRewrite(fd, tmp, path, st);
    return items.map((location) => ({ location, result: 'erased' as const }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'missing' : 'failed', `mbox rewrite failed: ${code ?? 'error'}`);
  } finally {
    abandonRewrite([dst, src], tmp);
    lock.release();
  }
}
