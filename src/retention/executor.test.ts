import { createHash } from 'node:crypto';
import {
  appendFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveKeys } from '../logs/anonymize/keys.js';
import { applyPlan, restrictToConfirmed } from './executor.js';
import { buildPlan } from './planner.js';
import type { RetentionPolicy } from './policy.js';
import { parsePostqueueJson, type CommandRunner } from './postfix-queue.js';

const NOW = new Date('2026-11-27T12:00:00Z');
const clock = (): Date => NOW;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-apply-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const noRun: CommandRunner = () => Promise.reject(new Error('unused'));
const OLD = 'Date: Mon, 01 Jan 2024 10:00:00 +0000\n\nold\n';

async function archive(files: Record<string, string>): Promise<{ root: string; policy: RetentionPolicy }> {
  const root = join(dir, 'archive');
  await mkdir(root, { recursive: true });
  for (const [n, c] of Object.entries(files)) await writeFile(join(root, n), c);
  return {
    root,
    policy: { stores: [{ name: 'a', type: 'archive', path: root, maxAge: '1y', action: 'delete' }] },
  };
}

describe('applyPlan: files', () => {
  it('deletes what was planned and records the sha256 of the bytes removed', async () => {
    const { root, policy } = await archive({ 'a.eml': OLD, 'b.eml': `${OLD}b` });
    const plan = await buildPlan(policy, { now: NOW, run: noRun });
    const ev = await applyPlan(plan, policy.stores, { clock, run: noRun });
    expect(await readdir(root)).toEqual([]);
    const done = ev.stores[0]!.done;
    expect(done.map((d) => d.sha256Before).sort()).toEqual([sha(OLD), sha(`${OLD}b`)].sort());
    expect(done.every((d) => d.sha256After === null)).toBe(true);
    expect(ev.totals).toEqual({ done: 2, failed: 0, bytes: OLD.length * 2 + 1 });
    expect(ev.policyHash).toBe(plan.policyHash);
    expect(ev.host).not.toBe('');
  });

  it('leaves a file changed after planning, reports a vanished one, and refuses a symlink swapped in', async () => {
    const outside = join(dir, 'outside.eml');
    await writeFile(outside, OLD);
    const { root, policy } = await archive({
      'grown.eml': OLD,
      'gone.eml': OLD,
      'swapped.eml': OLD,
      'ok.eml': OLD,
    });
    const plan = await buildPlan(policy, { now: NOW, run: noRun });
    await appendFile(join(root, 'grown.eml'), 'new line\n');
    await unlink(join(root, 'gone.eml'));
    await unlink(join(root, 'swapped.eml'));
    await symlink(outside, join(root, 'swapped.eml'));
    const ev = await applyPlan(plan, policy.stores, { clock, run: noRun });
    const s = ev.stores[0]!;
    expect(s.done.map((d) => d.path)).toEqual([join(root, 'ok.eml')]);
    const reasons = Object.fromEntries(s.errors.map((e) => [e.path!.split('/').pop(), e.reason]));
    expect(reasons['grown.eml']).toMatch(/changed since it was planned/);
    expect(reasons['gone.eml']).toMatch(/vanished/);
    expect(reasons['swapped.eml']).toMatch(/symbolic link; refused/);
    expect(await readFile(outside, 'utf8')).toBe(OLD);
    expect(await readFile(join(root, 'grown.eml'), 'utf8')).toBe(`${OLD}new line\n`);
    expect((await readdir(root)).filter((n) => n.startsWith('.mailcomply'))).toEqual([]);
    expect(ev.totals.failed).toBe(3);
  });

  it('after an interrupt starts nothing new, keeps the files and says so per item', async () => {
    const { root, policy } = await archive({ 'a.eml': OLD, 'b.eml': OLD });
    const plan = await buildPlan(policy, { now: NOW, run: noRun });
    const stop = new AbortController();
    stop.abort();
    const ev = await applyPlan(plan, policy.stores, { clock, run: noRun, signal: stop.signal });
    expect((await readdir(root)).sort()).toEqual(['a.eml', 'b.eml']);
    expect(ev.stores[0]!.errors.map((e) => e.reason)).toEqual([
      'not done: the run was interrupted',
      'not done: the run was interrupted',
    ]);
    expect(ev.totals).toMatchObject({ done: 0, failed: 2 });
  });

  it('anonymises rotated logs in place and records before/after hashes', async () => {
    const log = join(dir, 'mail.log.1');
    const text =
      'Jan  2 10:00:00 mx postfix/qmgr[2]: 4BC1D2E3F: from=<alice@example.org>, size=1, nrcpt=1 (queue active)\n';
    await writeFile(log, text);
    await utimes(log, new Date('2026-01-03'), new Date('2026-01-03'));
    const policy: RetentionPolicy = {
      stores: [{ name: 'l', type: 'log', path: join(dir, 'mail.log'), maxAge: '30d', action: 'anonymize' }],
    };
    const plan = await buildPlan(policy, { now: NOW, run: noRun });
    const keys = deriveKeys(Buffer.alloc(32, 7));
    const ev = await applyPlan(plan, policy.stores, { clock, run: noRun, anonymize: { keys } });
    const after = await readFile(log, 'utf8');
    expect(after).not.toContain('alice');
    expect(after).toMatch(/from=<u-[0-9a-f]+@example\.org>/);
    expect(ev.stores[0]!.done[0]).toMatchObject({ sha256Before: sha(text), sha256After: sha(after) });
  });

  it('with a confirmed plan acts only on items it lists, unchanged', async () => {
    const { root, policy } = await archive({ 'a.eml': OLD });
    const confirmed = await buildPlan(policy, { now: NOW, run: noRun });
    await writeFile(join(root, 'late.eml'), OLD);
    const fresh = await buildPlan(policy, { now: NOW, run: noRun });
    expect(fresh.stores[0]!.items).toHaveLength(2);
    const only = restrictToConfirmed(fresh, confirmed);
    expect(only.stores[0]!.items.map((i) => i.path)).toEqual([join(root, 'a.eml')]);
    // A plan file edited to name a path outside the store still cannot reach it: it is not in the fresh plan.
    const forged = structuredClone(confirmed);
    forged.stores[0]!.items[0]!.path = join(dir, 'outside.eml');
    expect(restrictToConfirmed(fresh, forged).stores[0]!.items).toEqual([]);
  });
});

// Real `postqueue -j` output (Postfix 3.x): one JSON object per line.
const POSTQUEUE = [
  '{"queue_name": "deferred", "queue_id": "C2A2E1C1D9", "arrival_time": 1700000000, "message_size": 1104, "forced_expire": false, "sender": "a@example.com", "recipients": [{"address": "b@example.org", "delay_reason": "connect to example.org[192.0.2.1]:25: Connection timed out"}]}',
  '{"queue_name": "hold", "queue_id": "4BC1D2E3F", "arrival_time": 1700000100, "message_size": 500, "forced_expire": false, "sender": "", "recipients": [{"address": "c@example.org"}]}',
  '{"queue_name": "deferred", "queue_id": "D3B3F2D2E0", "arrival_time": 1795000000, "message_size": 10, "forced_expire": false, "sender": "x@example.com", "recipients": []}',
  '{"queue_name": "active", "queue_id": "E4C4A3E3F1", "arrival_time": 1700000000, "message_size": 10, "forced_expire": false, "sender": "x@example.com", "recipients": []}',
  'postqueue: warning: not json',
].join('\n');

describe('Postfix queue store', () => {
  it('parses postqueue -j without keeping addresses', () => {
    const { messages, bad } = parsePostqueueJson(POSTQUEUE);
    expect(bad).toBe(1);
    expect(messages).toHaveLength(4);
    expect(JSON.stringify(messages)).not.toContain('@');
    expect(messages[0]).toEqual({
      queue: 'deferred',
      id: 'C2A2E1C1D9',
      arrival: 1700000000000,
      bytes: 1104,
      recipients: 1,
    });
  });

  it('deletes old deferred and hold messages with postsuper -d - QUEUE, ids on stdin', async () => {
    const calls: { cmd: string; args: readonly string[]; input?: string }[] = [];
    const run: CommandRunner = async (cmd, args, input) => {
      calls.push({ cmd, args, ...(input !== undefined ? { input } : {}) });
      if (cmd === 'postqueue') return { stdout: POSTQUEUE, stderr: '', code: 0 };
      const ids = (input ?? '').split('\n').filter(Boolean);
      // C2A2E1C1D9 "was delivered meanwhile": postsuper does not report it removed.
      const removed = ids.filter((i) => i !== 'C2A2E1C1D9');
      return {
        stdout: '',
        stderr:
          removed.map((i) => `postsuper: ${i}: removed\n`).join('') +
          `postsuper: Deleted: ${removed.length} message\n`,
        code: 0,
      };
    };
    const policy: RetentionPolicy = {
      stores: [
        { name: 'q', type: 'postfix-queue', path: '/etc/postfix-test', maxAge: '30d', action: 'delete' },
      ],
    };
    const plan = await buildPlan(policy, { now: NOW, run });
    const s = plan.stores[0]!;
    expect(s.items.map((i) => `${i.queue}/${i.id}`)).toEqual(['deferred/C2A2E1C1D9', 'hold/4BC1D2E3F']);
    expect(s.kept).toBe(2);
    expect(s.errors[0]!.reason).toMatch(/1 postqueue -j line/);
    const ev = await applyPlan(plan, policy.stores, { clock, run });
    expect(calls[0]).toEqual({ cmd: 'postqueue', args: ['-c', '/etc/postfix-test', '-j'] });
    expect(calls.slice(1)).toEqual([
      { cmd: 'postsuper', args: ['-c', '/etc/postfix-test', '-d', '-', 'deferred'], input: 'C2A2E1C1D9\n' },
      { cmd: 'postsuper', args: ['-c', '/etc/postfix-test', '-d', '-', 'hold'], input: '4BC1D2E3F\n' },
    ]);
    expect(ev.stores[0]!.done).toEqual([
      { queue: 'hold', id: '4BC1D2E3F', bytes: 500, time: new Date(1700000100000).toISOString() },
    ]);
    expect(ev.stores[0]!.errors.map((e) => e.id ?? e.reason)).toEqual([
      expect.stringMatching(/postqueue/),
      'C2A2E1C1D9',
    ]);
  });

  it('a failing postqueue becomes a store error', async () => {
    const run: CommandRunner = async () => ({
      stdout: '',
      stderr: 'postqueue: fatal: Queue report unavailable - mail system is down',
      code: 75,
    });
    const policy: RetentionPolicy = {
      stores: [{ name: 'q', type: 'postfix-queue', maxAge: '30d', action: 'delete' }],
    };
    const s = (await buildPlan(policy, { now: NOW, run })).stores[0]!;
    expect(s.items).toEqual([]);
    expect(s.errors[0]!.reason).toMatch(/postqueue -j failed \(exit 75\)/);
  });
});
