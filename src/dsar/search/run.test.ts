import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { b64, ew, writeMaildir } from '../../../test/unit/support/dsar-fixture.js';
import { compileIdentity } from '../identity.js';
import { scanMessage } from './message.js';
import { ScanPool } from './pool.js';
import { runFind } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-dsar-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runFind on worker threads', () => {
  it('gives the same matches, in the same order, as the single-threaded search', async () => {
    const root = join(dir, 'Maildir');
    writeMaildir(root);
    // Many more batches than a worker holds, so the calling thread searches some batches itself
    // and results from both come back in listing order. Every tenth name states a wrong size.
    let mbox = '';
    for (let i = 0; i < 1200; i++) {
      const text = i % 3 === 0 ? `From: x@y.example\nCc: Ann@X.org\n\n${i}\n` : `From: x@y.example\n\n${i}\n`;
      const size = i % 10 === 0 ? text.length + 1 : text.length;
      writeFileSync(join(root, 'cur', `2000${i}.M${i}P1.host,S=${size}:2,S`), text);
      mbox += `From x@y.example Thu Nov 26 10:00:00 2026\n${text}\n`;
    }
    writeFileSync(join(dir, 'mbox'), mbox);
    const id = compileIdentity({ addresses: ['ann@x.org'], names: [] });
    const src = [
      { type: 'maildir' as const, kind: 'mailbox' as const, path: root },
      { type: 'mbox' as const, kind: 'archive' as const, path: join(dir, 'mbox') },
    ];
    const one = await runFind(src, id);
    const sent = vi.spyOn(ScanPool.prototype, 'trySearchBatch');
    const two = await runFind(src, id, { threads: 2, workersAfter: 0 });
    // Both the worker and this thread searched batches.
    const taken = sent.mock.results.filter((r) => r.value !== undefined).length;
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(sent.mock.calls.length);
    sent.mockRestore();
    const three = await runFind(src, id, { threads: 3, workersAfter: 0 });
    expect(one.matches.length).toBe(3 + 400 + 400);
    expect(one.sources[0]!.items).toBe(5 + 1200); // writeMaildir holds 5 messages, 3 about her
    expect(two.matches).toEqual(one.matches);
    expect(two.sources).toEqual(one.sources);
    expect(three.matches).toEqual(one.matches);
    expect(three.sources).toEqual(one.sources);
  });
});

describe('runFind with the pre-filter', () => {
  it('finds exactly what scanning every message in full finds, decoding only what may match', async () => {
    const root = join(dir, 'Prefiltered');
    writeMaildir(root);
    const bodies = [
      (i: number) => `From: x@y.example\nSubject: ${i}\n\nnothing\n`,
      (i: number) => `From: x@y.example\nSubject: ${ew(`${i} ann@x.org`)}\n\nx\n`,
      (i: number) => `Content-Transfer-Encoding: base64\n\n${b64(`${i} write to ann@x.org`)}\n`,
      (i: number) => `From: joann@x.org\n\n${i}\n`,
      (i: number) => `Content-Disposition: attachment; filename="ann@x\\.org-${i}"\n\nx\n`,
    ];
    for (let i = 0; i < 150; i++)
      writeFileSync(join(root, i % 2 ? 'cur' : '.Sent/cur', `3000${i}.M${i}P1.host:2,S`), bodies[i % 5]!(i));
    const id = compileIdentity({ addresses: ['ann@x.org'], names: [] });
    const expected = new Map<string, string>();
    for (const sub of ['cur', '.Sent/cur'])
      for (const f of readdirSync(join(root, sub))) {
        const raw = readFileSync(join(root, sub, f));
        if (scanMessage(raw, id).hits.length) expected.set(f, createHash('sha256').update(raw).digest('hex'));
      }
    const src = [{ type: 'maildir' as const, kind: 'mailbox' as const, path: root }];
    for (const threads of [1, 2]) {
      const r = await runFind(src, id, { threads, workersAfter: 0 });
      const found = new Map(
        r.matches.map((m) => [m.location.type === 'maildir' ? m.location.file : '', m.location.sha256]),
      );
      expect(found).toEqual(expected);
      const items = r.sources[0]!.items;
      const decoded = r.sources[0]!.decoded;
      expect(items).toBe(155);
      // The 30 plain messages and the unrelated fixture message are ruled out from their bytes.
      expect(decoded).toBe(items - 31);
    }
  });
});

describe('runFind when a worker stops', () => {
  it('reports the files it held as not searched and searches the rest on the calling thread', async () => {
    const root = join(dir, 'Stopping');
    writeMaildir(root);
    for (let i = 0; i < 1000; i++)
      writeFileSync(
        join(root, 'cur', `4000${i}.M${i}P1.host:2,S`),
        `From: x@y.example\nCc: ann@x.org\n\n${i}\n`,
      );
    const id = compileIdentity({ addresses: ['ann@x.org'], names: [] });
    const src = [{ type: 'maildir' as const, kind: 'mailbox' as const, path: root }];
    const real = ScanPool.prototype.trySearchBatch;
    let stopped = false;
    const spy = vi.spyOn(ScanPool.prototype, 'trySearchBatch').mockImplementation(function (
      this: ScanPool,
      b,
      k,
    ) {
      const sent = real.call(this, b, k);
      if (sent && !stopped) {
        stopped = true;
        // The first batch a worker takes: its thread stops right after.
        const slots = (this as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
        void slots[0]!.worker.terminate();
      }
      return sent;
    });
    const r = await runFind(src, id, { threads: 2, workersAfter: 0 });
    spy.mockRestore();
    const lost = r.problems.filter((p) => p.reason.includes('search thread stopped'));
    expect(lost.length).toBeGreaterThan(0);
    // Every file is either searched or listed as not searched; every searched one about her is found.
    expect(r.sources[0]!.items + lost.length).toBe(5 + 1000);
    expect(r.sources[0]!.problems).toBe(lost.length);
    expect(r.matches.length).toBeGreaterThanOrEqual(3 + 1000 - lost.length);
  });
});
