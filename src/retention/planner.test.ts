import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPlan } from './planner.js';
import type { RetentionPolicy } from './policy.js';
import type { CommandRunner } from './postfix-queue.js';

const NOW = new Date('2026-11-27T12:00:00Z');
const noRun: CommandRunner = () => Promise.reject(new Error('no commands in this test'));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-plan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const syslog = (stamp: string): string =>
  `${stamp} mx postfix/smtpd[1]: connect from x.example.net[192.0.2.7]\n`;
const setMtime = (p: string, iso: string): Promise<void> => utimes(p, new Date(iso), new Date(iso));

describe('buildPlan: log stores', () => {
  it('plans rotated siblings by their newest line, never the live file, and reports bad files per item', async () => {
    const logs = join(dir, 'log');
    await mkdir(logs);
    await writeFile(join(logs, 'mail.log'), syslog('Jan  2 10:00:00'));
    await setMtime(join(logs, 'mail.log'), '2025-01-02T00:00:00Z'); // old, but live: kept
    await writeFile(join(logs, 'mail.log.1'), syslog('Nov 20 10:00:00'));
    await setMtime(join(logs, 'mail.log.1'), '2026-11-21T00:00:00Z');
    // Content is old even though the file was touched today (copied back from a backup).
    await writeFile(
      join(logs, 'mail.log.2.gz'),
      gzipSync(syslog('Mar  1 10:00:00') + syslog('Mar  3 09:00:00')),
    );
    await setMtime(join(logs, 'mail.log.2.gz'), '2026-11-27T00:00:00Z');
    // A December line in a file rotated in January belongs to the year before.
    await writeFile(join(logs, 'mail.log-20260102'), syslog('Dec 30 10:00:00'));
    await setMtime(join(logs, 'mail.log-20260102'), '2026-01-02T00:00:00Z');
    await writeFile(join(logs, 'mail.log.3.gz'), gzipSync(syslog('Mar  1 10:00:00')).subarray(0, 20));
    await mkdir(join(logs, 'mail.log.4'));
    await writeFile(join(logs, 'other.log.1'), syslog('Jan  1 10:00:00'));
    const policy: RetentionPolicy = {
      stores: [
        { name: 'mail-log', type: 'log', path: join(logs, 'mail.log'), maxAge: '30d', action: 'delete' },
      ],
    };
    const plan = await buildPlan(policy, { now: NOW, run: noRun });
    const s = plan.stores[0]!;
    const paths = s.items.map((i) => i.path!.slice(logs.length + 1)).sort();
    expect(paths).toEqual(['mail.log-20260102', 'mail.log.2.gz']);
    const gz = s.items.find((i) => i.path!.endsWith('.2.gz'))!;
    expect(gz.timeSource).toBe('log');
    expect(new Date(gz.time).getMonth()).toBe(2);
    expect(new Date(gz.oldest!).getDate()).toBe(1);
    const dec = s.items.find((i) => i.path!.endsWith('20260102'))!;
    expect(new Date(dec.time).getFullYear()).toBe(2025);
    expect(s.kept).toBe(2);
    expect(s.errors.map((e) => e.path!.slice(logs.length + 1)).sort()).toEqual([
      'mail.log.3.gz',
      'mail.log.4',
    ]);
    expect(s.errors.find((e) => e.path!.endsWith('.3.gz'))!.reason).toMatch(/gzip/);
    expect(s.errors.find((e) => e.path!.endsWith('.4'))!.reason).toMatch(/not a regular file/);
  });

  it('skips files whose hash shows an earlier run anonymised them', async () => {
    await writeFile(join(dir, 'mail.log.1'), syslog('Jan  2 10:00:00'));
    await setMtime(join(dir, 'mail.log.1'), '2026-01-03T00:00:00Z');
    const { sha256File } = await import('./planner.js');
    const policy: RetentionPolicy = {
      stores: [{ name: 'l', type: 'log', path: join(dir, 'mail.log'), maxAge: '30d', action: 'anonymize' }],
    };
    const fresh = await buildPlan(policy, { now: NOW, run: noRun });
    expect(fresh.stores[0]!.items).toHaveLength(1);
    const anonymized = new Set([await sha256File(join(dir, 'mail.log.1'))]);
    const again = await buildPlan(policy, { now: NOW, run: noRun, anonymized });
    expect(again.stores[0]!.items).toHaveLength(0);
    expect(again.stores[0]!.alreadyDone).toBe(1);
  });
});

describe('buildPlan: message stores', () => {
  it('ages Maildir messages by delivery time and Date:, ignores tmp/, refuses symlinks out of the store', async () => {
    const md = join(dir, 'Maildir', '.Junk');
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(md, sub), { recursive: true });
    const outside = join(dir, 'secret.eml');
    await writeFile(outside, 'Date: Mon, 01 Jan 2024 10:00:00 +0000\n\nkeep me\n');
    await writeFile(join(md, 'cur', '1704103200.M1P1.mx:2,S'), 'Subject: x\n\nold\n'); // 2024-01-01 by name
    await writeFile(join(md, 'new', 'noname'), 'Date: Tue, 02 Jan 2024 10:00:00 +0000\n\nold by Date\n');
    // Forged old Date: but delivered recently: the later time wins, so it is kept.
    await writeFile(
      join(md, 'new', '1795000000.M2P2.mx'),
      'Date: Mon, 01 Jan 2024 10:00:00 +0000\n\nrecent\n',
    );
    // A Date: far in the future is ignored; mtime (today) decides: kept.
    await writeFile(join(md, 'cur', 'future'), 'Date: Fri, 01 Jan 2100 00:00:00 +0000\n\nx\n');
    await writeFile(join(md, 'tmp', '1.M1.mx'), 'Date: Mon, 01 Jan 2024 10:00:00 +0000\n\nin delivery\n');
    await symlink(outside, join(md, 'cur', '1704103201.M3P3.mx:2,S'));
    const policy: RetentionPolicy = {
      stores: [{ name: 'junk', type: 'maildir', path: md, maxAge: '30d', action: 'delete' }],
    };
    const s = (await buildPlan(policy, { now: NOW, run: noRun })).stores[0]!;
    const planned = Object.fromEntries(s.items.map((i) => [i.path!.split('/').pop(), i.timeSource]));
    expect(planned).toEqual({ '1704103200.M1P1.mx:2,S': 'delivery', noname: 'date' });
    expect(s.kept).toBe(2);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]!.reason).toMatch(/symbolic link; refused/);
  });

  it('walks archive trees for .eml files without entering symlinked folders or escaping via ..', async () => {
    const arch = join(dir, 'archive');
    await mkdir(join(arch, '2023'), { recursive: true });
    await mkdir(join(dir, 'elsewhere'));
    await writeFile(join(dir, 'elsewhere', 'b.eml'), 'Date: Mon, 01 Jan 2024 10:00:00 +0000\n\n');
    await writeFile(join(arch, '2023', 'a.eml'), 'Date: Mon, 01 Jan 2024 10:00:00 +0000\n\n');
    await writeFile(join(arch, '2023', 'notes.txt'), 'Date: Mon, 01 Jan 2024 10:00:00 +0000\n\n');
    await symlink(join(dir, 'elsewhere'), join(arch, 'linked'));
    const policy: RetentionPolicy = {
      stores: [
        { name: 'a', type: 'archive', path: join(arch, '2023', '..'), maxAge: '1y', action: 'delete' },
      ],
    };
    const s = (await buildPlan(policy, { now: NOW, run: noRun })).stores[0]!;
    expect(s.root).toBe(arch);
    expect(s.items.map((i) => i.path)).toEqual([join(arch, '2023', 'a.eml')]);
    expect(s.errors.map((e) => e.path)).toEqual([join(arch, 'linked')]);
  });

  it('reports a missing store as an error instead of throwing', async () => {
    const policy: RetentionPolicy = {
      stores: [{ name: 'gone', type: 'maildir', path: join(dir, 'nope'), maxAge: '30d', action: 'delete' }],
    };
    const s = (await buildPlan(policy, { now: NOW, run: noRun })).stores[0]!;
    expect(s.items).toEqual([]);
    expect(s.errors[0]!.reason).toMatch(/store not readable: vanished/);
  });
});
