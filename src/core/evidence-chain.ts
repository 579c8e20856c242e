import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MailcomplyError } from './errors.js';
import { EVIDENCE_LOCK_STALE_MS, EVIDENCE_LOCK_WAIT_MS } from './limits.js';

/**
 * One line of an evidence file. `prev` is the sha256 of the previous line's exact bytes (64 zeros for
 * the first line), `hash` the sha256 of this entry's canonical JSON without `hash` and `sig`, and `sig`
 * an HMAC-SHA256 of `hash` when the writer holds a key. Editing, removing or reordering any line breaks
 * the chain at that line or the next.
 */
export interface EvidenceEntry {
  v: 1;
  seq: number;
  time: string;
  prev: string;
  record: unknown;
  hash: string;
  sig?: string;
}

/** What verification found: `brokenAt` is the 1-based line where the chain first fails. */
export interface EvidenceVerification {
  ok: boolean;
  lines: number;
  brokenAt?: number;
  reason?: string;
  /** Hash of the last good entry: an auditor can note it to detect later truncation. */
  head?: string;
  /** Whether every entry carried a signature that the given key verified. */
  signed?: boolean;
}

/** Options for writing and checking: a signing key and a clock for tests. */
export interface EvidenceOptions {
  /** HMAC key: when given, entries are signed on append and signatures are required on verify. */
  key?: Buffer;
  clock?: () => Date;
}

/** The `prev` of the first entry. */
export const EVIDENCE_GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every level, so the hash does not depend on insertion order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(src).sort()) {
      if (src[k] !== undefined) out[k] = sortKeys(src[k]);
    }
    return out;
  }
  return value;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function entryHash(e: Omit<EvidenceEntry, 'hash' | 'sig'>): string {
  return sha256(canonicalJson({ v: e.v, seq: e.seq, time: e.time, prev: e.prev, record: e.record }));
}

const sign = (key: Buffer, hash: string): string => createHmac('sha256', key).update(hash).digest('hex');

/** Reads the last line of a file (without its newline) by scanning backwards, so appends stay O(record). */
async function lastLine(path: string): Promise<{ line: string | undefined; torn: boolean }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { line: undefined, torn: false };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) return { line: undefined, torn: false };
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) return { line: undefined, torn: true };
    const chunks: Buffer[] = [];
    let end = size - 1;
    const step = 64 * 1024;
    while (end > 0) {
      const start = Math.max(0, end - step);
      const buf = Buffer.alloc(end - start);
      await fh.read(buf, 0, buf.length, start);
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0) {
        chunks.unshift(buf.subarray(nl + 1));
        break;
      }
      chunks.unshift(buf);
      end = start;
    }
    return { line: Buffer.concat(chunks).toString('utf8'), torn: false };
  } finally {
    await fh.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const queues = new Map<string, Promise<unknown>>();

/** Appends from one process queue here; the lock file then only arbitrates between processes. */
function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  path = resolve(path);
  const run = (queues.get(path) ?? Promise.resolve()).then(
    () => withFileLock(path, fn),
    () => withFileLock(path, fn),
  );
  const tail = run.catch(() => undefined);
  queues.set(path, tail);
  void tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  return run;
}

/** A lock file beside the evidence file: two writers (two cron runs) must not both extend the same head. */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + EVIDENCE_LOCK_WAIT_MS;
  let delay = 5;
  for (;;) {
    try {
      await writeFile(lock, `${process.pid} ${hostname()} ${Date.now()}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MailcomplyError(
          'E_IO',
          `cannot lock evidence file: ${(err as NodeJS.ErrnoException).code}`,
          {
            cause: err,
          },
        );
      }
      const [pid, host, at] = (await readFile(lock, 'utf8').catch(() => '')).trim().split(' ');
      const sameHostDead = host === hostname() && Number(pid) > 0 && !processAlive(Number(pid));
      if (sameHostDead || Date.now() - Number(at) > EVIDENCE_LOCK_STALE_MS) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new MailcomplyError('E_IO', `evidence file is locked by another writer (${lock})`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 200);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/**
 * Appends `record` to the hash-chained evidence file at `path` (created 0600 if missing) and fsyncs it.
 * Refuses to extend a file whose last line is torn or not an entry: that needs a human, not a silent repair.
 * @example await appendEvidence('/var/lib/mailcomply/evidence.jsonl', { action: 'retention.apply' })
 */
export async function appendEvidence(
  path: string,
  record: unknown,
  opts: EvidenceOptions = {},
): Promise<{ hash: string; seq: number }> {
  return withLock(path, async () => {
    const { line, torn } = await lastLine(path);
    if (torn)
      throw new MailcomplyError('E_IO', 'evidence file ends in a partial line; run verify before appending');
    let seq = 1;
    let prev = EVIDENCE_GENESIS;
    if (line !== undefined) {
      let last: EvidenceEntry;
      try {
        last = JSON.parse(line) as EvidenceEntry;
      } catch (err) {
        throw new MailcomplyError('E_IO', 'evidence file ends in a line that is not JSON; run verify', {
          cause: err,
        });
      }
      if (!Number.isSafeInteger(last.seq))
        throw new MailcomplyError('E_IO', 'last evidence entry has no sequence');
      seq = last.seq + 1;
      prev = sha256(line);
    }
    const time = (opts.clock ?? (() => new Date()))().toISOString();
    const base = { v: 1 as const, seq, time, prev, record };
    const hash = entryHash(base);
    const entry: EvidenceEntry = { ...base, hash, ...(opts.key ? { sig: sign(opts.key, hash) } : {}) };
    const fh = await open(path, 'a', 0o600);
    try {
      await fh.write(canonicalJson(entry) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { hash, seq };
  });
}

function check(
  line: string,
  prevLine: string | undefined,
  n: number,
  key: Buffer | undefined,
): string | undefined {
  let e: EvidenceEntry;
  try {
    e = JSON.parse(line) as EvidenceEntry;
  } catch {
    return 'not JSON';
  }
  if (e === null || typeof e !== 'object' || e.v !== 1) return 'not an evidence entry (v must be 1)';
  if (e.seq !== n) return `sequence ${String(e.seq)} where ${n} was expected`;
  const expectPrev = prevLine === undefined ? EVIDENCE_GENESIS : sha256(prevLine);
  if (e.prev !== expectPrev)
    return 'prev does not match the previous line (a line was changed, removed or inserted)';
  if (typeof e.time !== 'string' || typeof e.hash !== 'string') return 'missing time or hash';
  if (entryHash(e) !== e.hash) return 'hash does not match the content (the entry was edited)';
  if (canonicalJson(e) !== line) return 'line is not in canonical form (edited after writing)';
  if (key) {
    if (typeof e.sig !== 'string') return 'entry is not signed';
    const want = Buffer.from(sign(key, e.hash), 'hex');
    const got = Buffer.from(e.sig, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return 'signature does not verify with this key';
  }
  return undefined;
}

/**
 * Checks the whole chain of the evidence file at `path`, streaming, and reports the first broken line.
 * With `opts.key` every entry must also carry a valid signature.
 */
export async function verifyEvidence(
  path: string,
  opts: EvidenceOptions = {},
): Promise<EvidenceVerification> {
  let stream;
  try {
    const fh = await open(path, 'r');
    stream = fh.createReadStream({ encoding: 'utf8' });
  } catch (err) {
    return {
      ok: false,
      lines: 0,
      reason: `cannot read evidence file: ${(err as NodeJS.ErrnoException).code}`,
    };
  }
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let prev: string | undefined;
  let n = 0;
  let head: string | undefined;
  let endsWithNewline = true;
  try {
    for await (const line of rl) {
      n++;
      const reason = check(line, prev, n, opts.key);
      if (reason) {
        rl.close();
        stream.destroy();
        return { ok: false, lines: n, brokenAt: n, reason, ...(head ? { head } : {}) };
      }
      head = (JSON.parse(line) as EvidenceEntry).hash;
      prev = line;
    }
  } catch (err) {
    return {
      ok: false,
      lines: n,
      brokenAt: n + 1,
      reason: `read failed: ${(err as NodeJS.ErrnoException).code}`,
    };
  }
  if (n > 0) endsWithNewline = (await lastLine(path)).torn === false;
  if (!endsWithNewline)
    return { ok: false, lines: n, brokenAt: n, reason: 'last line is partial (no newline)' };
  return { ok: true, lines: n, ...(head ? { head } : {}), ...(opts.key ? { signed: true } : {}) };
}
