import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeldAddress, PostfixInstance } from './postfix.js';
import { holdLoopbackAddress } from './postfix.js';
import { sendPlainMails, startSubjectChecksPostfix, waitForPostfix } from './postfix-subject-checks.js';

// A real Postfix writes its own log (maillog_file); mail goes through it; the log it really wrote is
// anonymised by the built CLI: no original address, IP or subject remains and every line still parses.

const ADDRESS = '127.0.1.12';
const SENDERS = ['alice.sender@example.net', 'carol.q@example.net'];
const RECIPIENTS = ['bob.rcpt@example.org', 'dave.r@example.org'];
const SUBJECT = 'Appointment with Dr Zhivago';
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function mailcomply(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let held: HeldAddress;
let postfix: PostfixInstance;
const work = mkdtempSync(join(tmpdir(), 'mailcomply-logs-sys-'));

beforeAll(async () => {
  held = await holdLoopbackAddress(ADDRESS);
  postfix = await startSubjectChecksPostfix({
    address: ADDRESS,
    hostname: 'mx.logs-test.example',
    work,
    action: 'WARN',
  });
  await sendPlainMails(
    postfix,
    SENDERS.map((from, i) => ({ from, to: RECIPIENTS[i]!, subject: SUBJECT })),
  );
  // Each message is logged by smtpd, cleanup (with the WARN), qmgr and error; wait for its final status.
  await waitForPostfix(
    () => (readFileSync(postfix.maillog, 'utf8').match(/ status=/g) ?? []).length >= SENDERS.length,
    () => `Postfix did not log the deliveries:\n${postfix.logTail()}`,
  );
}, 120_000);

afterAll(async () => {
  await postfix?.stop();
  await held?.release();
  rmSync(work, { recursive: true, force: true });
});

describe('logs anonymize on a log written by a real Postfix', () => {
  it('leaves no address, client IP or subject, and every line still parses', async () => {
    const original = readFileSync(postfix.maillog, 'utf8');
    // The log really has what must go: otherwise the test proves nothing.
    for (const s of [...SENDERS, ...RECIPIENTS, SUBJECT, `[${ADDRESS}]`]) expect(original).toContain(s);
    expect(original).toMatch(/warning: header Subject: /);

    const key = join(work, 'key');
    expect((await mailcomply(['logs', 'keygen', '--out', key])).code).toBe(0);
    chmodSync(key, 0o600);
    const copy = join(work, 'maillog');
    writeFileSync(copy, original);
    const run = await mailcomply(['logs', 'anonymize', '--in', copy, '--in-place', '--key-file', key]);
    expect(run.code, run.stderr).toBe(0);
    const anon = readFileSync(copy, 'utf8');
    for (const s of [...SENDERS, ...RECIPIENTS, SUBJECT, ADDRESS, '127.0.0.1', 'alice', 'bob.rcpt']) {
      expect(anon).not.toContain(s);
    }
    expect(anon.split('\n')).toHaveLength(original.split('\n').length);
    expect(anon).toMatch(/from=<u-[0-9a-f]{12}@example\.net>/);
    expect(anon).toMatch(/warning: header Subject: \[redacted\] from unknown\[127\.0\.1\.0\]; from=<u-/);

    // A snapshot: Postfix may still be appending to its live log.
    const snapshot = join(work, 'maillog.orig');
    writeFileSync(snapshot, original);
    for (const file of [snapshot, copy]) {
      const parsed = await mailcomply(['logs', 'parse', '--format', 'json', file]);
      expect(parsed.code, parsed.stderr).toBe(0);
      const rows = parsed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const summary = rows.at(-1)!;
      expect(summary).toMatchObject({ type: 'summary', unparsed: 0 });
      expect(summary.parsed).toBe(original.split('\n').filter((l) => l.trim() !== '').length);
      const smtpd = rows.find((r) => r.program === 'postfix/smtpd' && r.clientIp);
      expect(smtpd).toMatchObject({ source: 'postfix', clientIp: file === copy ? '127.0.1.0' : ADDRESS });
    }
  });
});
