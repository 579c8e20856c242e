/**
 * Carries out a plan: each item is re-checked (still inside its store, not a symlink, same file as
 * planned) right before it is touched; a deletion first renames the file out of its name, hashes what
 * it took, then unlinks, so the hash in the evidence is of exactly the bytes removed.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { RETENTION_IO_CONCURRENCY } from '../core/limits.js';
import { mapLimit } from '../core/pool.js';
import { anonymizeInPlace, type AnonymizeIo } from '../logs/anonymize/file.js';
import { confineFile } from './paths.js';
import type { ItemError, PlanItem, RetentionPlan, StorePlan } from './plan-types.js';
import { reasonOf, sha256File } from './planner.js';
import { deleteQueued, type CommandRunner } from './postfix-queue.js';
import type { StoreDecl } from './policy.js';

/** One item done, as the evidence records it. */
export interface DoneItem {
  path?: string;
  queue?: string;
  id?: string;
  bytes: number;
  time: string;
  sha256Before?: string;
  /** null: deleted. */
  sha256After?: string | null;
}

/** What happened to one store. */
export interface StoreResult {
  name: string;
  type: StorePlan['type'];
  action: StorePlan['action'];
  maxAge: string;
  cutoff: string;
  counts: { examined: number; planned: number; done: number; failed: number; kept: number; bytes: number };
  done: DoneItem[];
  errors: ItemError[];
}

/** The evidence record of one `retention apply`. */
export interface RetentionEvidence {
  type: 'mailcomply.retention.apply';
  schema: 1;
  policyHash: string;
  planCreatedAt: string;
  /** The plan file an operator confirmed (`apply --plan`): its sha256 and when it was made. */
  confirmedPlan?: { sha256: string; createdAt: string };
  start: string;
  end: string;
  host: string;
  user: string;
  stores: StoreResult[];
  totals: { done: number; failed: number; bytes: number };
}

/** What the executor needs from outside. */
export interface ApplyContext {
  clock: () => Date;
  run: CommandRunner;
  /** Anonymiser keys and policy for `anonymize` stores. */
  anonymize?: AnonymizeIo;
  /** Aborted (SIGINT, SIGTERM): no new item is started, and the evidence of what was done is still written. */
  signal?: AbortSignal;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function sameFile(item: PlanItem, st: { ino: number; size: number; mtimeMs: number }): boolean {
  return st.ino === item.ino && st.size === item.size && st.mtimeMs === item.mtimeMs;
}

async function deleteFile(root: string, item: PlanItem): Promise<DoneItem> {
  const path = await confineFile(root, item.path!);
  const st = await lstat(path);
  if (!sameFile(item, st)) throw new Error('changed since it was planned; left as it is');
  // Renaming first takes the name away atomically: a writer reopening the name gets a new file, and
  // what we hash is exactly what we remove.
  const dir = dirname(path);
  const parked = join(dir, `.mailcomply-retention-${randomBytes(6).toString('hex')}-${basename(path)}`);
  await rename(path, parked);
  try {
    const pst = await lstat(parked);
    if (!sameFile(item, pst) || !pst.isFile()) throw new Error('replaced while being deleted; put back');
    const sha256Before = await sha256File(parked);
    await unlink(parked);
    return {
      path,
      bytes: pst.size,
      time: new Date(item.time).toISOString(),
      sha256Before,
      sha256After: null,
    };
  } catch (err) {
    await rename(parked, path).catch(() => undefined);
    throw err;
  }
}

async function anonymizeFileItem(root: string, item: PlanItem, io: AnonymizeIo): Promise<DoneItem> {
  const path = await confineFile(root, item.path!);
  const st = await lstat(path);
  if (!sameFile(item, st)) throw new Error('changed since it was planned; left as it is');
  const sha256Before = await sha256File(path);
  await anonymizeInPlace(path, io);
  const sha256After = await sha256File(path);
  return { path, bytes: st.size, time: new Date(item.time).toISOString(), sha256Before, sha256After };
}

async function applyStore(
  plan: StorePlan,
  ctx: ApplyContext,
  decl: StoreDecl | undefined,
): Promise<StoreResult> {
  const result: StoreResult = {
    name: plan.name,
    type: plan.type,
    action: plan.action,
    maxAge: plan.maxAge,
    cutoff: new Date(plan.cutoff).toISOString(),
    counts: {
      examined: plan.examined,
      planned: plan.items.length,
      done: 0,
      failed: 0,
      kept: plan.kept,
      bytes: 0,
    },
    done: [],
    errors: [...plan.errors],
  };
  const ok = (d: DoneItem): void => {
    result.done.push(d);
    result.counts.done++;
    result.counts.bytes += d.bytes;
  };
  const fail = (e: ItemError): void => {
    result.errors.push(e);
    result.counts.failed++;
  };
  if (plan.type === 'postfix-queue') {
    const byQueue = new Map<string, PlanItem[]>();
    for (const it of plan.items) byQueue.set(it.queue!, [...(byQueue.get(it.queue!) ?? []), it]);
    for (const [queue, items] of byQueue) {
      if (ctx.signal?.aborted) {
        for (const it of items) fail({ id: it.id!, reason: 'not done: the run was interrupted' });
        continue;
      }
      try {
        const { removed } = await deleteQueued(
          ctx.run,
          queue,
          items.map((i) => i.id!),
          decl?.path,
        );
        for (const it of items) {
          if (removed.has(it.id!))
            ok({ queue, id: it.id!, bytes: it.bytes, time: new Date(it.time).toISOString() });
          else fail({ id: it.id!, reason: 'not removed by postsuper (delivered or gone meanwhile)' });
        }
      } catch (err) {
        for (const it of items) fail({ id: it.id!, reason: reasonOf(err) });
      }
    }
    return result;
  }
  const root = plan.root;
  // Anonymising is CPU-bound and holds buffers per file: two at a time; deletions are I/O-bound.
  const limit = plan.action === 'anonymize' ? 2 : RETENTION_IO_CONCURRENCY;
  const outcomes = await mapLimit(plan.items, limit, async (it) => {
    if (ctx.signal?.aborted)
      return { path: it.path!, reason: 'not done: the run was interrupted' } satisfies ItemError;
    try {
      if (!root) throw new Error('store has no root');
      return plan.action === 'anonymize'
        ? await anonymizeFileItem(root, it, ctx.anonymize ?? {})
        : await deleteFile(root, it);
    } catch (err) {
      return { path: it.path!, reason: reasonOf(err) } satisfies ItemError;
    }
  });
  const dirs = new Set<string>();
  for (const o of outcomes) {
    if ('reason' in o) fail(o);
    else {
      ok(o);
      if (o.sha256After === null) dirs.add(dirname(o.path!));
    }
  }
  // One fsync per folder makes the unlinks durable without paying a sync per message.
  for (const d of dirs)
    await syncDir(d).catch((err: unknown) => fail({ path: d, reason: `fsync: ${reasonOf(err)}` }));
  return result;
}

/** Applies `plan` (already restricted to what may be done) and returns the evidence record to append. */
export async function applyPlan(
  plan: RetentionPlan,
  decls: readonly StoreDecl[],
  ctx: ApplyContext,
): Promise<RetentionEvidence> {
  const start = ctx.clock().toISOString();
  const stores: StoreResult[] = [];
  for (const s of plan.stores)
    stores.push(
      await applyStore(
        s,
        ctx,
        decls.find((d) => d.name === s.name),
      ),
    );
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): the uid still identifies the operator
    user = `uid:${process.getuid?.() ?? '?'}`;
  }
  return {
    type: 'mailcomply.retention.apply',
    schema: 1,
    policyHash: plan.policyHash,
    planCreatedAt: plan.createdAt,
    start,
    end: ctx.clock().toISOString(),
    host: hostname(),
    user,
    stores,
    totals: {
      done: stores.reduce((n, s) => n + s.counts.done, 0),
      failed: stores.reduce((n, s) => n + s.errors.length, 0),
      bytes: stores.reduce((n, s) => n + s.counts.bytes, 0),
    },
  };
}

/**
 * Keeps only the items of `fresh` that a confirmed plan file also lists, unchanged (same file identity
 * or queue id): confirming a plan never authorises more than it showed.
 */
export function restrictToConfirmed(fresh: RetentionPlan, confirmed: RetentionPlan): RetentionPlan {
  const key = (s: string, i: PlanItem): string =>
    i.kind === 'queued'
      ? `${s}\0q\0${i.queue}\0${i.id}`
      : `${s}\0f\0${i.path}\0${i.ino}\0${i.size}\0${i.mtimeMs}`;
  const ok = new Set<string>();
  for (const s of confirmed.stores ?? []) for (const i of s.items ?? []) ok.add(key(s.name, i));
  return {
    ...fresh,
    stores: fresh.stores.map((s) => {
      const items = s.items.filter((i) => ok.has(key(s.name, i)));
      return { ...s, kept: s.kept + s.items.length - items.length, items };
    }),
  };
}
