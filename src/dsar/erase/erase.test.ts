import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyEvidence } from '../../core/evidence-chain.js';
import type { MatchLocation, SourceSpec } from '../types.js';
import {
  buildEraseStore,
  inventory,
  othersUnchanged,
  type EraseStore,
} from '../../../test/unit/support/erase-store.js';
import {
  acquireDotlock,
  applyErase,
  findMaildirFile,
  noHold,
  planFromSources,
  verifyErase,
} from './index.js';

const ANN = { addresses: ['ann@x.org'], names: [] };

function sources(s: EraseStore): SourceSpec[] {
  return [
    { type: 'maildir', kind: 'mailbox', path: s.maildir },
    { type: 'mbox', kind: 'archive', path: s.mbox },
    { type: 'log', kind: 'log', path: s.log },
  ];
}

function keyOf(l: MatchLocation): string {
  if (l.type === 'maildir') return `maildir:${l.folder ? `.${l.folder}` : ''}/${l.file.split(':2,')[0]}`;
  if (l.type === 'mbox') return `mbox:${l.sha256}`;
  if (l.type === 'log') return `log:${l.line}`;
  return JSON.stringify(l);
}

describe('dsar erase', () => {
  it('plans without touching anything, then erases only the subject and writes a verifiable receipt', async () => {
    const s = buildEraseStore();
    const before = inventory(s);
    const { plan } = await planFromSources(sources(s), ANN, noHold());
    expect(inventory(s)).toEqual(before);
    const byType = (t: string): number => plan.items.filter((i) => i.location.type === t).length;
    expect([byType('maildir'), byType('mbox'), byType('log')]).toEqual([24, 8, 9]);
    const subjectKeys = new Set(plan.items.map((i) => keyOf(i.location)));
    const receipt = join(s.dir, 'receipt.jsonl');
    const { summary } = await applyErase(plan, ANN, { receipt });
    expect(summary).toMatchObject({ erased: 32, pseudonymised: 9, changed: 0, failed: 0, missing: 0 });
    const after = inventory(s);
    expect(othersUnchanged(before, after, subjectKeys)).toEqual([]);
    // Log lines are pseudonymised, not removed: same count, joann untouched, ann gone.
    const log = readFileSync(s.log, 'utf8');
    expect(log.split('\n')).toHaveLength(
      before.size - [...before.keys()].filter((k) => !k.startsWith('log:')).length,
    );
    expect(log).not.toMatch(/(?<![a-z])ann@x\.org/);
    expect(log.match(/joann@x\.org/g)).toHaveLength(9);
    expect(log).toMatch(/to=<u-[0-9a-f]{12}@x\.org>/);
    expect(readFileSync(s.mbox, 'latin1').match(/^From /gm)).toHaveLength(6);
    expect((await verifyEvidence(receipt)).ok).toBe(true);
    const items = readFileSync(receipt, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { record: { action: string; location?: { sha256: string } } });
    expect(items.filter((e) => e.record.action === 'dsar.erase.item')).toHaveLength(41);
    expect(
      items.every(
        (e) => e.record.action !== 'dsar.erase.item' || /^[0-9a-f]{64}$/.test(e.record.location!.sha256),
      ),
    ).toBe(true);
    expect(readFileSync(receipt, 'utf8')).not.toContain('ann@x.org');
    const v = await verifyErase(receipt, ANN);
    expect(v).toMatchObject({ ok: true, subjectMatches: true, recorded: 41 });
    expect(v.remaining).toEqual([]);
    // Someone else is not the subject of this receipt.
    expect((await verifyErase(receipt, { addresses: ['joann@x.org'], names: [] })).ok).toBe(false);
  });

  it('honours folder and address holds and reports them', async () => {
    const s = buildEraseStore();
    const hold = { addresses: ['counsel@law.example'], folders: ['Legal'], sources: [] };
    const { plan } = await planFromSources(sources(s), ANN, hold);
    expect(plan.held.filter((h) => h.hold === 'folder')).toHaveLength(8);
    // Outside Legal: 2 "hold" messages per Maildir folder and 2 in the mbox name the counsel.
    expect(plan.held.filter((h) => h.hold === 'address')).toHaveLength(6);
    const heldKeys = plan.held.map((h) => keyOf(h.location));
    const receipt = join(s.dir, 'r.jsonl');
    await applyErase(plan, ANN, { receipt });
    const after = inventory(s);
    for (const k of heldKeys.filter((k) => k.startsWith('maildir:'))) expect(after.has(k)).toBe(true);
    const v = await verifyErase(receipt, ANN);
    expect(v.ok).toBe(true);
    expect(v.held).toHaveLength(14);
  });

  it('plans, holds and verifies the same with search threads as on one', async () => {
    const s = buildEraseStore();
    const hold = { addresses: ['counsel@law.example'], folders: ['Legal'], sources: [] };
    const one = await planFromSources(sources(s), ANN, hold);
    const two = await planFromSources(sources(s), ANN, hold, { threads: 2, workersAfter: 0 });
    expect(two.plan.items.map((i) => keyOf(i.location))).toEqual(
      one.plan.items.map((i) => keyOf(i.location)),
    );
    expect(two.plan.held).toEqual(one.plan.held);
    const receipt = join(s.dir, 'threads.jsonl');
    await applyErase(two.plan, ANN, { receipt });
    const v = await verifyErase(receipt, ANN, { threads: 2, workersAfter: 0 });
    expect(v.ok).toBe(true);
    expect(v.held).toHaveLength(14);
  });

  it('leaves a message that changed since the search and an mbox that changed', async () => {
    const s = buildEraseStore();
    const { plan } = await planFromSources(sources(s), ANN, noHold());
    const first = plan.items.find((i) => i.location.type === 'maildir')!.location as Extract<
      MatchLocation,
      { type: 'maildir' }
    >;
    const file = findMaildirFile(first)!;
    writeFileSync(file, `${readFileSync(file, 'latin1')}more`);
    const mboxBefore = readFileSync(s.mbox);
    const b = Buffer.from(mboxBefore);
    const range = plan.items.find((i) => i.location.type === 'mbox')!.location as Extract<
      MatchLocation,
      { type: 'mbox' }
    >;
    b[range.end - 2] = 0x21;
    writeFileSync(s.mbox, b);
    const { outcomes } = await applyErase(plan, ANN, { receipt: join(s.dir, 'r.jsonl') });
    expect(outcomes.find((o) => o.location === first)?.result).toBe('changed');
    expect(findMaildirFile(first)).toBe(file);
    expect(outcomes.filter((o) => o.location.type === 'mbox').every((o) => o.result === 'changed')).toBe(
      true,
    );
    expect(readFileSync(s.mbox)).toEqual(b);
  });

  it('waits for a live dotlock and breaks a stale one', async () => {
    const s = buildEraseStore(2);
    writeFileSync(`${s.mbox}.lock`, `${process.pid}:${(await import('node:os')).hostname()}\n`);
    expect(await acquireDotlock(s.mbox, 50)).toBeUndefined();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(`${s.mbox}.lock`, `${dead.pid}:${(await import('node:os')).hostname()}\n`);
    const lock = await acquireDotlock(s.mbox, 50);
    expect(lock).toBeDefined();
    expect(readFileSync(`${s.mbox}.lock`, 'latin1')).toContain(String(process.pid));
    lock!.release();
    // An old lock of unknown origin is stale too (Dovecot's change timeout).
    writeFileSync(`${s.mbox}.lock`, '');
    utimesSync(`${s.mbox}.lock`, new Date(0), new Date(0));
    expect(await acquireDotlock(s.mbox, 50)).toBeDefined();
  });
});

const CLI = join(import.meta.dirname, '../../cli/main.ts');

function runCli(
  args: string[],
  env: Record<string, string> = {},
  killOnPause = false,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (killOnPause && stderr.includes('erase paused')) p.kill('SIGKILL');
    });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('dsar erase CLI, killed mid-erase', () => {
  it.each([5, 27])(
    'keeps every other message intact when killed after %i steps, and a re-run finishes',
    async (n) => {
      const s = buildEraseStore();
      const before = inventory(s);
      const mboxBefore = readFileSync(s.mbox);
      const { plan } = await planFromSources(sources(s), ANN, noHold());
      const subjectKeys = new Set(plan.items.map((i) => keyOf(i.location)));
      const receipt = join(s.dir, 'receipt.jsonl');
      const args = [
        'dsar',
        'erase',
        '--subject',
        'ann@x.org',
        '--maildir',
        s.maildir,
        '--mbox',
        s.mbox,
        '--log',
        s.log,
      ];
      const dry = await runCli(args);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('41 item(s) planned');
      const killed = await runCli(
        [...args, '--apply', '--receipt', receipt],
        { MAILCOMPLY_ERASE_PAUSE_AFTER: String(n) },
        true,
      );
      expect(killed.code).toBeNull();
      const mid = inventory(s);
      expect(othersUnchanged(before, mid, subjectKeys)).toEqual([]);
      // Killed inside the mbox rewrite (step 27 > 24 Maildir items): the mbox is still whole.
      if (n > 24) {
        expect(readFileSync(s.mbox)).toEqual(mboxBefore);
        // The killed run left its lock and temp file behind: the re-run must treat both as stale.
        expect(existsSync(`${s.mbox}.lock`)).toBe(true);
        expect(readdirSync(s.dir).some((f) => f.includes('.mailcomply-'))).toBe(true);
        // The receipt names the mbox messages the killed run had begun on; verify sees them still there.
        const partial = await verifyErase(receipt, ANN);
        expect(partial.unfinished).toBe(8);
        expect(partial.ok).toBe(false);
      }
      expect((await verifyEvidence(receipt)).ok).toBe(true);
      const rerun = await runCli([...args, '--apply', '--receipt', receipt]);
      expect(rerun.code).toBe(0);
      expect(existsSync(`${s.mbox}.lock`)).toBe(false);
      expect(readdirSync(s.dir).some((f) => f.includes('.mailcomply-'))).toBe(false);
      expect(readFileSync(s.mbox, 'latin1').match(/^From /gm)).toHaveLength(6);
      expect(othersUnchanged(before, inventory(s), subjectKeys)).toEqual([]);
      expect((await verifyErase(receipt, ANN)).unfinished).toBe(0);
      const v = await runCli(['dsar', 'verify', receipt, '--subject', 'ann@x.org']);
      expect(v.stdout).toContain('Verified: the subject is no longer found.');
      expect(v.code).toBe(0);
    },
    30_000,
  );
});
