import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cli as runCli } from './support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-logs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI with standard input always closed (anonymize reads it when given no --in). */
const cli = (args: string[], input?: string): ReturnType<typeof runCli> => runCli(args, input ?? '');

const LOG =
  'Mar  1 10:00:01 mx1 postfix/smtpd[3001]: 9A8B7C6D5E: client=dsl-9.isp.example.net[192.0.2.77], sasl_method=PLAIN, sasl_username=oscar\n' +
  'Mar  1 10:00:02 mx1 postfix/qmgr[3002]: 9A8B7C6D5E: from=<oscar@example.org>, size=900, nrcpt=1 (queue active)\n' +
  'not a log line\n';

describe('mailcomply logs', () => {
  it('parse --format json prints events, unparsed lines and a summary', async () => {
    const f = join(dir, 'mail.log.1.gz');
    writeFileSync(f, gzipSync(LOG));
    const r = await cli(['logs', 'parse', '--format', 'json', '--year', '2024', f]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows[0]).toMatchObject({
      type: 'event',
      clientIp: '192.0.2.77',
      saslUsername: 'oscar',
      queueId: '9A8B7C6D5E',
    });
    expect(rows[1]).toMatchObject({ type: 'event', from: 'oscar@example.org', size: 900 });
    expect(rows[2]).toMatchObject({ type: 'unparsed', line: 3, text: 'not a log line' });
    expect(rows[3]).toMatchObject({ type: 'summary', schema: 1, lines: 3, parsed: 2, unparsed: 1 });
  });

  it('anonymize works as a stdin/stdout filter with a key file, stable across runs', async () => {
    const key = join(dir, 'k');
    expect((await cli(['logs', 'keygen', '--out', key])).code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    // keygen never replaces a key: that would orphan every pseudonym made with it
    expect((await cli(['logs', 'keygen', '--out', key])).code).toBe(2);
    const a = await cli(['logs', 'anonymize', '--key-file', key, '--quiet'], LOG);
    const b = await cli(['logs', 'anonymize', '--key-file', key, '--quiet'], LOG);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toMatch(/oscar|192\.0\.2\.77|dsl-9/);
    expect(a.stdout.split('\n')[2]).toBe('not a log line');
  });

  it('refuses a key file others can read, and Crypto-PAn without a key', async () => {
    const key = join(dir, 'open-key');
    writeFileSync(key, 'ab'.repeat(32));
    chmodSync(key, 0o644);
    expect((await cli(['logs', 'anonymize', '--key-file', key], LOG)).code).toBe(2);
    const policy = join(dir, 'p.yaml');
    writeFileSync(policy, 'ip: crypto-pan\n');
    const r = await cli(['logs', 'anonymize', '--policy', policy], LOG);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/crypto-pan needs --key-file/);
  });

  it('rewrites in place and exits 3 leaving the file intact on corrupt gzip', async () => {
    const f = join(dir, 'in-place.log');
    writeFileSync(f, LOG);
    const ok = await cli(['logs', 'anonymize', '--in', f, '--in-place']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/3 lines: 1 IPv4, 0 IPv6, 1 addresses, 1 user names, 1 host names/);
    expect(readFileSync(f, 'utf8')).toMatch(/client=example\.net\[192\.0\.2\.0\]/);
    const bad = join(dir, 'bad.log.gz');
    const cut = gzipSync(LOG.repeat(100)).subarray(0, 60);
    writeFileSync(bad, cut);
    const r = await cli(['logs', 'anonymize', '--in', bad, '--in-place', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/truncated or corrupt gzip/);
    expect(readFileSync(bad).equals(cut)).toBe(true);
  });
});
