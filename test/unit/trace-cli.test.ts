import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const LOG = `Nov 27 10:00:01 mx1 postfix/smtpd[100]: 4AB12C3D4E: client=sender.example[192.0.2.10]
Nov 27 10:00:01 mx1 postfix/cleanup[101]: 4AB12C3D4E: message-id=<abc@sender.example>
Nov 27 10:00:02 mx1 postfix/smtp[103]: 4AB12C3D4E: to=<bob@example.org>, relay=mail2.example.org[192.0.2.20]:25, delay=1.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F8E7D6C5B)
`;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mailcomply trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-cli-'));
  const log = join(dir, 'mail.log');
  writeFileSync(log, LOG);

  it('prints the path as JSON and exits 0', () => {
    const r = cli(['trace', 'abc@sender.example', '--logs', log, '--format', 'json', '--year', '2026']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout) as {
      schema: number;
      hops: { status: string; tls?: boolean }[];
      unresolved: string[];
    };
    expect(t.schema).toBe(1);
    expect(t.hops.map((h) => h.status)).toEqual(['received', 'sent']);
    // No TLS line in this log: the plaintext hand-off says so.
    expect(t.hops[1]!.tls).toBe(false);
    expect(t.unresolved).toEqual(['9F8E7D6C5B']);
  });

  it('exits 1 when no log knows the id, 2 without logs', () => {
    expect(cli(['trace', 'FFFFF00000', '--logs', log]).status).toBe(1);
    expect(cli(['trace', 'FFFFF00000']).status).toBe(2);
    expect(cli(['trace', 'x', '--logs', log, '--format', 'svg']).status).toBe(2);
  });
});
