/** Builds a retention plan: for each declared store, what is past its maximum age, by content time. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MailcomplyError } from '../core/errors.js';
import { RETENTION_IO_CONCURRENCY, RETENTION_MAX_FILES_PER_STORE } from '../core/limits.js';
import { mapLimit } from '../core/pool.js';
import { logSpan, messageTime } from './age.js';
import { confineFile, storeRoot } from './paths.js';
import type { ItemError, PlanItem, RetentionPlan, StorePlan } from './plan-types.js';
import { parseDuration, policyHash, type RetentionPolicy, type StoreDecl } from './policy.js';
import { listQueue, type CommandRunner } from './postfix-queue.js';

/** What the planner needs from outside. */
export interface PlanContext {
  now: Date;
  run: CommandRunner;
  /** sha256 of files an earlier run produced by anonymising: never anonymised twice. */
  anonymized?: ReadonlySet<string>;
}

/** sha256 of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** A short, content-free reason for a failed file operation. */
export function reasonOf(err: unknown): string {
  if (err instanceof MailcomplyError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'vanished during the run';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code) return e.code;
  return e instanceof Error ? e.message : String(err);
}

const ROTATED = (base: string): RegExp =>
  new RegExp(
    `^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\.\\d{1,4}|-\\d{8,10}|\\.\\d{8})?(?:\\.gz)?$`,
  );

/** Builds the plan for every store in the policy. Never throws for a store: problems become item errors. */
export async function buildPlan(policy: RetentionPolicy, ctx: PlanContext): Promise<RetentionPlan> {
  const stores: StorePlan[] = [];
  for (const decl of policy.stores) stores.push(await planStore(decl, ctx));
  return {
    schema: 1,
    kind: 'mailcomply-retention-plan',
    policyHash: policyHash(policy),
    createdAt: ctx.now.toISOString(),
    stores,
  };
}

async function planStore(decl: StoreDecl, ctx: PlanContext): Promise<StorePlan> {
  const plan: StorePlan = {
    name: decl.name,
    type: decl.type,
    action: decl.action,
    maxAge: decl.maxAge,
    cutoff: ctx.now.getTime() - parseDuration(decl.maxAge),
    examined: 0,
    kept: 0,
    alreadyDone: 0,
    items: [],
    errors: [],
  };
  try {
    if (decl.type === 'log') await planLog(decl, plan, ctx);
    else if (decl.type === 'maildir') await planMessages(decl, plan, ctx, false);
    else if (decl.type === 'archive') await planMessages(decl, plan, ctx, true);
    else await planQueue(decl, plan, ctx);
  } catch (err) {
    plan.errors.push({
      ...(decl.path ? { path: decl.path } : {}),
      reason: `store not readable: ${reasonOf(err)}`,
    });
  }
  return plan;
}

async function planLog(decl: StoreDecl, plan: StorePlan, ctx: PlanContext): Promise<void> {
  const live = resolve(decl.path!);
  const root = await storeRoot(dirname(live));
  plan.root = root;
  const base = basename(live);
  const match = ROTATED(base);
  const names = (await readdir(root)).filter((n) => match.test(n)).sort();
  for (const name of names) {
    const path = join(root, name);
    plan.examined++;
    // The live file is being written: neither deleted nor rewritten under the logger's feet.
    if (name === base) {
      plan.kept++;
      continue;
    }
    try {
      const real = await confineFile(root, path);
      const st = await lstat(real);
      const span = await logSpan(real, st.mtimeMs);
      const time = span.newest ?? st.mtimeMs;
      if (time >= plan.cutoff) {
        plan.kept++;
        continue;
      }
      if (decl.action === 'anonymize' && ctx.anonymized?.size) {
        if (ctx.anonymized.has(await sha256File(real))) {
          plan.alreadyDone++;
          continue;
        }
      }
      plan.items.push({
        kind: 'file',
        path: real,
        bytes: st.size,
        time,
        ...(span.oldest !== undefined ? { oldest: span.oldest } : {}),
        timeSource: span.newest !== undefined ? 'log' : 'mtime',
        ino: st.ino,
        size: st.size,
        mtimeMs: st.mtimeMs,
      });
    } catch (err) {
      plan.errors.push(fileError(path, err));
    }
  }
}

function fileError(path: string, err: unknown): ItemError {
  return { path, reason: err instanceof Error && err.name === 'PathRefused' ? err.message : reasonOf(err) };
}

/** Maildir folders (cur/ and new/; tmp/ holds deliveries in progress) and archive trees of .eml files. */
async function planMessages(
  decl: StoreDecl,
  plan: StorePlan,
  ctx: PlanContext,
  archive: boolean,
): Promise<void> {
  const root = await storeRoot(resolve(decl.path!));
  plan.root = root;
  const files: string[] = [];
  if (archive) await walk(root, files, plan.errors);
  else {
    for (const sub of ['cur', 'new']) {
      const dir = join(root, sub);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        plan.errors.push(fileError(dir, err));
        continue;
      }
      for (const n of names) if (!n.startsWith('.')) files.push(join(dir, n));
    }
  }
  if (files.length > RETENTION_MAX_FILES_PER_STORE) {
    plan.errors.push({
      reason: `more than ${RETENTION_MAX_FILES_PER_STORE} files; the rest was not examined`,
    });
    files.length = RETENTION_MAX_FILES_PER_STORE;
  }
  plan.examined += files.length;
  // Order is kept so plans are stable; a few reads in flight hide per-file latency on disks and NFS.
  const results = await mapLimit(files, RETENTION_IO_CONCURRENCY, async (path) => {
    try {
      const real = await confineFile(root, path);
      const st = await lstat(real);
      const t = await messageTime(real, basename(real), st.mtimeMs, ctx.now.getTime());
      if (t.time >= plan.cutoff) return undefined;
      const item: PlanItem = {
        kind: 'file',
        path: real,
        bytes: st.size,
        time: t.time,
        timeSource: t.source,
        ino: st.ino,
        size: st.size,
        mtimeMs: st.mtimeMs,
      };
      return item;
    } catch (err) {
      return fileError(path, err);
    }
  });
  for (const r of results) {
    if (r === undefined) plan.kept++;
    else if ('kind' in r) plan.items.push(r);
    else plan.errors.push(r);
  }
}

/** Collects .eml files under `dir` without following symbolic links (a link is reported, not entered). */
async function walk(dir: string, out: string[], errors: ItemError[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    errors.push(fileError(dir, err));
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isSymbolicLink()) errors.push({ path: p, reason: `${p} is a symbolic link; refused` });
    else if (e.isDirectory()) await walk(p, out, errors);
    else if (e.isFile() && e.name.toLowerCase().endsWith('.eml')) out.push(p);
    if (out.length > RETENTION_MAX_FILES_PER_STORE) return;
  }
}

async function planQueue(decl: StoreDecl, plan: StorePlan, ctx: PlanContext): Promise<void> {
  const queues = new Set(decl.queues ?? ['deferred', 'hold']);
  const { messages, bad } = await listQueue(ctx.run, decl.path);
  if (bad) plan.errors.push({ reason: `${bad} postqueue -j line(s) could not be read` });
  for (const m of messages) {
    plan.examined++;
    if (!queues.has(m.queue) || m.arrival >= plan.cutoff) {
      plan.kept++;
      continue;
    }
    const item: PlanItem = {
      kind: 'queued',
      queue: m.queue,
      id: m.id,
      bytes: m.bytes,
      time: m.arrival,
      timeSource: 'queue',
    };
    plan.items.push(item);
  }
}
