import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A full disk during `logs anonymize --in-place`: a 1 MiB tmpfs holds the 700 kB log but not the log
// and its anonymised copy. The run must fail with a clear error, exit 3, and leave the log as it was.

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const mnt = mkdtempSync(join(tmpdir(), 'mailcomply-full-disk-'));
let mounted = false;

beforeAll(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'mailcomply-full-disk', mnt]);
  mounted = true;
});

afterAll(() => {
  if (mounted) execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

describe('logs anonymize --in-place on a full disk', () => {
  it('exits 3 with an I/O error and leaves the original intact', async () => {
    const log = join(mnt, 'mail.log');
    const text = Array.from(
      { length: 7000 },
      (_, i) =>
        `Mar  1 10:00:00 mx postfix/qmgr[${i}]: ABC${i}: from=<person${i}@example.org>, size=${i}, nrcpt=1\n`,
    ).join('');
    writeFileSync(log, text);
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [cli, 'logs', 'anonymize', '--in', log, '--in-place', '--quiet'],
        (err, _o, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/ENOSPC/);
    expect(r.stderr).not.toMatch(/person\d/);
    expect(readFileSync(log, 'utf8')).toBe(text);
    expect(readdirSync(mnt)).toEqual(['mail.log']);
  });
});
