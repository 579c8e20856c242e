import { mkdtemp, readFile, rm, writeFile, appendFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appendEvidence, canonicalJson, EVIDENCE_GENESIS, verifyEvidence } from './evidence-chain.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-evidence-'));
  file = join(dir, 'evidence.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = async (): Promise<string[]> =>
  (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');

describe('evidence chain', () => {
  it('chains entries and verifies them', async () => {
    const a = await appendEvidence(file, { action: 'one', n: 1 });
    const b = await appendEvidence(file, { action: 'two' });
    expect(a.seq).toBe(1);
    expect(b.seq).toBe(2);
    const ls = await lines();
    expect(JSON.parse(ls[0]!).prev).toBe(EVIDENCE_GENESIS);
    expect(JSON.parse(ls[1]!).hash).toBe(b.hash);
    expect(JSON.parse(ls[1]!).prev).not.toBe(EVIDENCE_GENESIS);
    const v = await verifyEvidence(file);
    expect(v).toMatchObject({ ok: true, lines: 2, head: b.hash });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('finds an edited record at its line', async () => {
    for (let i = 0; i < 4; i++) await appendEvidence(file, { i });
    const ls = await lines();
    ls[2] = ls[2]!.replace('"i":2', '"i":9');
    await writeFile(file, ls.join('\n') + '\n');
    const v = await verifyEvidence(file);
    expect(v.ok).toBe(false);
    expect(v.brokenAt).toBe(3);
    expect(v.reason).toMatch(/hash/);
  });

  it('finds a removed line and a rewritten hash at the next line', async () => {
    for (let i = 0; i < 4; i++) await appendEvidence(file, { i });
    const ls = await lines();
    await writeFile(file, [ls[0], ls[2], ls[3]].join('\n') + '\n');
    expect(await verifyEvidence(file)).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('detects a re-hashed forgery through prev of the following line', async () => {
    for (let i = 0; i < 3; i++) await appendEvidence(file, { i });
    const ls = await lines();
    const e = JSON.parse(ls[1]!);
    e.record = { i: 7 };
    // A forger recomputes this entry's own hash but cannot fix the next entry's prev without rewriting it.
    const { createHash } = await import('node:crypto');
    e.hash = createHash('sha256')
      .update(canonicalJson({ v: e.v, seq: e.seq, time: e.time, prev: e.prev, record: e.record }))
      .digest('hex');
    ls[1] = canonicalJson(e);
    await writeFile(file, ls.join('\n') + '\n');
    expect(await verifyEvidence(file)).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('signs with a key and rejects a wrong key or an unsigned chain', async () => {
    const key = Buffer.from('k'.repeat(32));
    await appendEvidence(file, { a: 1 }, { key });
    expect(await verifyEvidence(file, { key })).toMatchObject({ ok: true, signed: true });
    expect(await verifyEvidence(file, { key: Buffer.from('x'.repeat(32)) })).toMatchObject({
      ok: false,
      brokenAt: 1,
      reason: expect.stringMatching(/signature/),
    });
    await appendEvidence(file, { b: 2 });
    expect(await verifyEvidence(file, { key })).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('refuses to append after a torn last line and verify reports it', async () => {
    await appendEvidence(file, { a: 1 });
    await appendFile(file, '{"v":1,"seq":2');
    await expect(appendEvidence(file, { b: 1 })).rejects.toThrow(/partial/);
    expect(await verifyEvidence(file)).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('reports a missing file as not ok', async () => {
    expect(await verifyEvidence(join(dir, 'none'))).toMatchObject({ ok: false, lines: 0 });
  });

  it('serialises concurrent appends into one unbroken chain', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendEvidence(file, { i })));
    const v = await verifyEvidence(file);
    expect(v).toMatchObject({ ok: true, lines: 20 });
  });

  it('canonical JSON does not depend on key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });

  it('any single-byte change to a chain is detected (property)', async () => {
    for (let i = 0; i < 3; i++) await appendEvidence(file, { i, note: 'retention run' });
    const original = await readFile(file);
    await fc.assert(
      fc.asyncProperty(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
        const copy = Buffer.from(original);
        copy[pos] = (copy[pos]! + delta) % 256;
        const f2 = join(dir, 'mutated.jsonl');
        await writeFile(f2, copy);
        expect((await verifyEvidence(f2)).ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
