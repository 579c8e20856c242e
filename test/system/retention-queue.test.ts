import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/retention/executor.js';
import { buildPlan } from '../../src/retention/planner.js';
import type { RetentionPolicy } from '../../src/retention/policy.js';
import { listQueue, spawnRunner } from '../../src/retention/postfix-queue.js';
import type { HeldAddress, PostfixInstance } from './postfix.js';
import { holdLoopbackAddress } from './postfix.js';
import { sendPlainMails, startSubjectChecksPostfix, waitForPostfix } from './postfix-subject-checks.js';

// A real Postfix holds two messages (header_checks HOLD); the retention engine lists them with the real
// `postqueue -j`, deletes them with the real `postsuper -d`, and keeps no address in plan or evidence.

const ADDRESS = '127.0.1.16';
const SENDERS = ['held.sender@example.net', 'other.sender@example.net'];
let held: HeldAddress;
let postfix: PostfixInstance;
const work = mkdtempSync(join(tmpdir(), 'mailcomply-retention-sys-'));

beforeAll(async () => {
  held = await holdLoopbackAddress(ADDRESS);
  postfix = await startSubjectChecksPostfix({
    address: ADDRESS,
    hostname: 'mx.retention-test.example',
    work,
    action: 'HOLD',
  });
  await sendPlainMails(
    postfix,
    SENDERS.map((from) => ({ from, to: 'rcpt@example.org', subject: 'held' })),
  );
  await waitForPostfix(
    async () =>
      (await listQueue(spawnRunner, postfix.configDir)).messages.filter((m) => m.queue === 'hold').length >=
      2,
    () => `messages did not reach the hold queue:\n${postfix.logTail()}`,
  );
}, 120_000);

afterAll(async () => {
  await postfix?.stop();
  await held?.release();
  rmSync(work, { recursive: true, force: true });
});

describe('retention of the Postfix queue', () => {
  it('plans and deletes held messages past their age with postqueue -j and postsuper -d', async () => {
    const policy: RetentionPolicy = {
      stores: [
        {
          name: 'queue',
          type: 'postfix-queue',
          path: postfix.configDir,
          maxAge: '1h',
          action: 'delete',
          queues: ['hold'],
        },
      ],
    };
    // Now: the messages are fresh and kept.
    const today = await buildPlan(policy, { now: new Date(), run: spawnRunner });
    expect(today.stores[0]).toMatchObject({ items: [], kept: 2, errors: [] });
    // Two hours later they are due.
    const later = new Date(Date.now() + 2 * 3_600_000);
    const plan = await buildPlan(policy, { now: later, run: spawnRunner });
    expect(plan.stores[0]!.items).toHaveLength(2);
    expect(plan.stores[0]!.items.every((i) => i.queue === 'hold' && /^[0-9A-Z]+$/.test(i.id!))).toBe(true);
    const ev = await applyPlan(plan, policy.stores, { clock: () => later, run: spawnRunner });
    expect(ev.stores[0]!.counts).toMatchObject({ planned: 2, done: 2, failed: 0 });
    expect(ev.stores[0]!.errors).toEqual([]);
    const left = await listQueue(spawnRunner, postfix.configDir);
    expect(left.messages.filter((m) => m.queue === 'hold')).toEqual([]);
    for (const s of SENDERS) {
      expect(JSON.stringify(plan)).not.toContain(s);
      expect(JSON.stringify(ev)).not.toContain(s);
    }
  });
});
