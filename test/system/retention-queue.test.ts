import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabCa } from '../../src/lab/ca.js';
import { applyPlan } from '../../src/retention/executor.js';
import { buildPlan } from '../../src/retention/planner.js';
import type { RetentionPolicy } from '../../src/retention/policy.js';
import { listQueue, spawnRunner } from '../../src/retention/postfix-queue.js';
import type { HeldAddress, PostfixInstance } from './postfix.js';
import { holdLoopbackAddress, startPostfix } from './postfix.js';

// A real Postfix holds two messages (header_checks HOLD); the retention engine lists them with the real
// `postqueue -j`, deletes them with the real `postsuper -d`, and keeps no address in plan or evidence.

const ADDRESS = '127.0.1.16';
const SENDERS = ['held.sender@example.net', 'other.sender@example.net'];
let held: HeldAddress;
let postfix: PostfixInstance;
const work = mkdtempSync(join(tmpdir(), 'mailcomply-retention-sys-'));

beforeAll(async () => {
  held = await holdLoopbackAddress(ADDRESS);
  const ca = await createLabCa();
  const cert = await ca.issue({ names: ['mx.retention-test.example'] });
  const checks = join(work, 'header_checks');
  writeFileSync(checks, '/^Subject:/ HOLD\n');
  postfix = await startPostfix({
    address: ADDRESS,
    hostname: 'mx.retention-test.example',
    keyPem: cert.keyPem,
    chainPem: cert.chainPem,
    extraMainCf: ['relay_domains = example.org', `header_checks = regexp:${checks}`],
  });
  const transport = nodemailer.createTransport({
    host: ADDRESS,
    port: postfix.port,
    secure: false,
    tls: { rejectUnauthorized: false },
  });
  for (const from of SENDERS) {
    await transport.sendMail({ from, to: 'rcpt@example.org', subject: 'held', text: 'hello\n' });
  }
  transport.close();
  const deadline = Date.now() + 20_000;
  while (
    (await listQueue(spawnRunner, postfix.configDir)).messages.filter((m) => m.queue === 'hold').length < 2
  ) {
    if (Date.now() > deadline)
      throw new Error(`messages did not reach the hold queue:\n${postfix.logTail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
