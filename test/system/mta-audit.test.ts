import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { findTool } from './daemon.js';

// Issue 8 items 1, 2 and 5: the audits against Debian's own Postfix and Dovecot tools and files.
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const FIXTURES = join(ROOT, 'test/fixtures/mta');
const scratch = mkdtempSync(join(tmpdir(), 'mailcomply-mta-audit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function audit(args: string[]): Promise<{ code: number; findings: Finding[] }> {
  const r = await run(process.execPath, [CLI, ...args, '--format', 'json']);
  if (r.stdout.trim() === '') throw new Error(`no report (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
}

const atLeastMedium = (f: Finding) =>
  (f.status === 'fail' || f.status === 'warn' || f.status === 'error') &&
  ['medium', 'high', 'critical'].includes(f.severity);

function one(findings: Finding[], id: string, service?: string): Finding {
  const f = findings.find(
    (x) => x.id === id && (!service || (x.evidence as { service?: string }).service === service),
  );
  if (!f) throw new Error(`missing ${id} ${service ?? ''}`);
  return f;
}

/** A config dir holding Debian's stock main.cf (as the package ships it) and master.cf. */
function stockDir(): string {
  const d = mkdtempSync(join(scratch, 'stock-'));
  copyFileSync('/usr/share/postfix/main.cf.debian', join(d, 'main.cf'));
  copyFileSync('/etc/postfix/master.cf', join(d, 'master.cf'));
  return d;
}

describe('postfix audit against Debian\u2019s stock configuration', () => {
  const dir = stockDir();

  it('gives the expected findings, with postconf -d supplying the defaults', async () => {
    const { findings, code } = await audit(['postfix', 'audit', '--config-dir', dir, '--fail-on', 'high']);
    expect(code).toBe(1);
    expect(findings.some((f) => f.id === 'postfix.config.defaults')).toBe(false);
    expect(findings.filter((f) => f.id.startsWith('postfix.config.'))).toEqual([]);
    expect(one(findings, 'postfix.tls.inbound-level', 'smtp/inet')).toMatchObject({
      status: 'fail',
      severity: 'high',
    });
    expect(one(findings, 'postfix.tls.outbound-level', 'smtp/unix')).toMatchObject({
      status: 'fail',
      severity: 'high',
    });
    expect(one(findings, 'postfix.tls.outbound-level', 'relay/unix')).toMatchObject({
      status: 'fail',
      severity: 'high',
    });
    expect(one(findings, 'postfix.disclosure.vrfy', 'smtp/inet').status).toBe('fail');
    expect(one(findings, 'postfix.disclosure.banner', 'smtp/inet').title).toContain('operating system');
    expect(one(findings, 'postfix.tls.dns-support-level', 'smtp/unix').status).toBe('warn');
    expect(one(findings, 'postfix.tls.mta-sts', 'smtp/unix').status).toBe('warn');
    expect(one(findings, 'postfix.relay.restrictions', 'smtp/inet').status).toBe('pass');
  });

  it('expands values exactly as postconf -x does', async () => {
    const { findings } = await audit(['postfix', 'audit', '--config-dir', dir]);
    const postconf = findTool('postconf');
    for (const [id, param] of [
      ['postfix.disclosure.banner', 'smtpd_banner'],
      ['postfix.relay.restrictions', 'smtpd_relay_restrictions'],
    ] as const) {
      const want = await run(postconf, ['-c', dir, '-x', '-h', param]);
      expect((one(findings, id, 'smtp/inet').evidence as { value: string }).value).toBe(want.stdout.trim());
    }
  });

  it('its postconf commands fix what they name', async () => {
    const fixDir = stockDir();
    const before = await audit(['postfix', 'audit', '--config-dir', fixDir]);
    const ids = [
      'postfix.tls.outbound-level',
      'postfix.disclosure.vrfy',
      'postfix.disclosure.banner',
      'postfix.tls.outbound-loglevel',
      'postfix.retention.long-queue-ids',
    ];
    const commands = new Set(
      before.findings.filter((f) => ids.includes(f.id) && f.remediation).map((f) => f.remediation as string),
    );
    expect(commands.size).toBeGreaterThanOrEqual(ids.length);
    for (const c of commands) {
      const r = await run('/bin/sh', ['-c', `PATH=/usr/sbin:$PATH; ${c}`]);
      expect(r.code, `${c}: ${r.stderr}`).toBe(0);
    }
    const after = await audit(['postfix', 'audit', '--config-dir', fixDir]);
    for (const id of ids) {
      for (const f of after.findings.filter((x) => x.id === id))
        expect(f.status, `${id} ${f.title}`).toBe('pass');
    }
  });
});

describe('postfix audit against a hardened configuration', () => {
  it('Postfix accepts it and the audit finds nothing at medium or above', async () => {
    const d = mkdtempSync(join(scratch, 'hardened-'));
    for (const f of ['main.cf', 'master.cf', 'submission_header_checks']) {
      writeFileSync(join(d, f), readFileSync(join(FIXTURES, 'postfix-hardened', f)));
    }
    const check = await run(findTool('postconf'), ['-c', d, '-n']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const { findings, code } = await audit(['postfix', 'audit', '--config-dir', d, '--fail-on', 'medium']);
    expect(findings.filter(atLeastMedium)).toEqual([]);
    expect(code).toBe(0);
    expect(one(findings, 'postfix.tls.inbound-level', 'submission/inet').status).toBe('pass');
    expect(one(findings, 'postfix.headers.submission', 'submissions/inet').status).toBe('pass');
  });
});

describe('dovecot audit with doveconf', () => {
  const hardened = [
    'protocols = imap',
    'ssl = required',
    'ssl_cert = </etc/dovecot/private/dovecot.pem',
    'ssl_key = </etc/dovecot/private/dovecot.key',
    'ssl_min_protocol = TLSv1.2',
    'disable_plaintext_auth = yes',
    'auth_verbose_passwords = no',
    'mail_debug = no',
    'log_path = syslog',
    '',
  ].join('\n');

  it('a hardened config, read through `doveconf -n -c FILE`, has nothing at medium or above', async () => {
    const d = mkdtempSync(join(scratch, 'dovecot-'));
    writeFileSync(join(d, 'dovecot.conf'), hardened);
    const n = await run(findTool('doveconf'), ['-n', '-c', join(d, 'dovecot.conf')]);
    expect(n.code, n.stderr).toBe(0);
    writeFileSync(join(d, 'doveconf-n.txt'), n.stdout);
    for (const file of ['doveconf-n.txt', 'dovecot.conf']) {
      const { findings, code } = await audit([
        'dovecot',
        'audit',
        '--config',
        join(d, file),
        '--fail-on',
        'medium',
      ]);
      expect(findings.filter(atLeastMedium)).toEqual([]);
      expect(one(findings, 'dovecot.ssl').status).toBe('pass');
      expect(code).toBe(0);
    }
  });

  it('a weak config gives high findings with file and line, and doveconf\u2019s own complaints', async () => {
    const d = mkdtempSync(join(scratch, 'dovecot-weak-'));
    mkdirSync(join(d, 'conf.d'));
    writeFileSync(join(d, 'dovecot.conf'), 'ssl = no\n!include conf.d/*.conf\n');
    writeFileSync(
      join(d, 'conf.d/10-auth.conf'),
      'disable_plaintext_auth = no\nauth_verbose_passwords = plain\nsssl = typo\n',
    );
    const { findings, code } = await audit([
      'dovecot',
      'audit',
      '--config',
      join(d, 'dovecot.conf'),
      '--fail-on',
      'high',
    ]);
    expect(code).toBe(1);
    expect(one(findings, 'dovecot.ssl')).toMatchObject({ status: 'fail', evidence: { line: 1 } });
    expect(one(findings, 'dovecot.plaintext-auth')).toMatchObject({
      status: 'fail',
      evidence: { file: join(d, 'conf.d/10-auth.conf'), line: 1 },
    });
    expect(one(findings, 'dovecot.auth-verbose-passwords').status).toBe('fail');
    expect(one(findings, 'dovecot.config.rejected').detail).toContain('sssl');
  });

  it('the stock Debian config: TLS offered but not required', async () => {
    const { findings } = await audit(['dovecot', 'audit', '--config', '/etc/dovecot/dovecot.conf']);
    expect(one(findings, 'dovecot.ssl')).toMatchObject({
      status: 'warn',
      evidence: { file: '/etc/dovecot/conf.d/10-ssl.conf' },
    });
    expect(one(findings, 'dovecot.plaintext-auth').status).toBe('pass');
    expect(findings.some((f) => f.id.startsWith('dovecot.config.'))).toBe(false);
  });
});
