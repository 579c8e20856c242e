import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { auditPostfix } from './audit.js';
import type { ExecTool } from './defaults.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/mta');
const missing: ExecTool = () => Promise.resolve({ code: 127, stdout: '', stderr: '' });
const scratch = mkdtempSync(join(tmpdir(), 'mailcomply-postfix-audit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function dir(main: string, master: string): string {
  const d = mkdtempSync(join(scratch, 'cf-'));
  writeFileSync(join(d, 'main.cf'), main);
  writeFileSync(join(d, 'master.cf'), master);
  return d;
}

function pick(findings: Finding[], id: string, service?: string): Finding {
  const f = findings.find(
    (x) => x.id === id && (service === undefined || (x.evidence as { service?: string }).service === service),
  );
  if (!f) throw new Error(`no ${id} for ${service ?? 'instance'}`);
  return f;
}

const SMTPD = 'smtp inet n - y - - smtpd\n';
const CLIENT = 'smtp unix - - y - - smtp\n';

describe('auditPostfix on the Debian stock configuration', async () => {
  const a = await auditPostfix({ configDir: join(FIXTURES, 'postfix-debian'), exec: missing });
  const f = a.findings;

  it('flags cleartext in and out, VRFY, DANE and MTA-STS, with the fixing command', () => {
    expect(pick(f, 'postfix.tls.inbound-level', 'smtp/inet')).toMatchObject({
      status: 'fail',
      severity: 'high',
    });
    const out = pick(f, 'postfix.tls.outbound-level', 'smtp/unix');
    expect(out).toMatchObject({ status: 'fail', severity: 'high' });
    expect(out.remediation).toContain("-e 'smtp_tls_security_level = dane'");
    expect(pick(f, 'postfix.tls.outbound-level', 'relay/unix').status).toBe('fail');
    expect(pick(f, 'postfix.disclosure.vrfy', 'smtp/inet')).toMatchObject({
      status: 'fail',
      severity: 'medium',
    });
    expect(pick(f, 'postfix.tls.dns-support-level', 'smtp/unix').severity).toBe('medium');
    expect(pick(f, 'postfix.tls.mta-sts', 'smtp/unix').status).toBe('warn');
    expect(pick(f, 'postfix.retention.long-queue-ids').status).toBe('warn');
  });

  it('names the banner line and what it reveals after expansion', () => {
    const b = pick(f, 'postfix.disclosure.banner', 'smtp/inet');
    expect(b.title).toMatch(/software name, operating system/);
    expect(b.evidence).toMatchObject({
      line: 9,
      origin: 'main.cf',
      raw: '$myhostname ESMTP $mail_name (Debian/GNU)',
    });
    expect(b.remediation).toContain("-e 'smtpd_banner = $myhostname ESMTP'");
  });

  it('says the defaults came from the built-in table when postconf is absent', () => {
    expect(pick(f, 'postfix.config.defaults').detail).toMatch(/postconf is not installed/);
    expect(f.filter((x) => x.id === 'postfix.config.unknown-parameter')).toEqual([]);
  });

  it('judges the relay restrictions from the compatibility-level default', () => {
    expect(pick(f, 'postfix.relay.restrictions', 'smtp/inet').status).toBe('pass');
  });
});

describe('auditPostfix on the hardened configuration', async () => {
  const a = await auditPostfix({ configDir: join(FIXTURES, 'postfix-hardened'), exec: missing });

  it('has nothing failing at medium or above', () => {
    const bad = a.findings.filter(
      (x) =>
        x.status !== 'pass' && x.status !== 'info' && ['medium', 'high', 'critical'].includes(x.severity),
    );
    expect(bad).toEqual([]);
  });

  it('sees header stripping through the dedicated cleanup service and its regexp map', () => {
    expect(pick(a.findings, 'postfix.headers.submission', 'submission/inet').status).toBe('pass');
    expect(pick(a.findings, 'postfix.tls.inbound-level', 'submissions/inet').status).toBe('pass');
  });
});

describe('per-service judgement', () => {
  it('judges each submission service by its own -o overrides and fixes with postconf -P', async () => {
    const d = dir(
      'smtpd_tls_chain_files = /k.pem\nsmtpd_tls_security_level = may\ndisable_vrfy_command = yes\n',
      `${SMTPD}submission inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=yes\n` +
        `587 inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n  -o disable_vrfy_command=no\n`,
    );
    const { findings } = await auditPostfix({ configDir: d, exec: missing });
    expect(pick(findings, 'postfix.tls.inbound-level', 'submission/inet').status).toBe('pass');
    const other = pick(findings, 'postfix.tls.inbound-level', '587/inet');
    expect(other.status).toBe('fail');
    expect(other.remediation).toBe(`postconf -c '${d}' -P '587/inet/smtpd_tls_security_level=encrypt'`);
    const sasl = pick(findings, 'postfix.auth.tls-only', '587/inet');
    expect(sasl).toMatchObject({ status: 'fail', severity: 'high' });
    expect(sasl.remediation).toContain("-P '587/inet/smtpd_tls_auth_only=yes'");
    const vrfy = pick(findings, 'postfix.disclosure.vrfy', '587/inet');
    expect(vrfy.evidence).toMatchObject({ origin: 'master.cf', line: 7 });
    expect(pick(findings, 'postfix.disclosure.vrfy', 'smtp/inet').status).toBe('pass');
  });

  it('sees DANE without DNSSEC as high, and SSLv3 allowed as a failure', async () => {
    const d = dir('smtp_tls_security_level = dane\nsmtp_tls_protocols = !SSLv2\n', CLIENT);
    const { findings } = await auditPostfix({ configDir: d, exec: missing });
    expect(pick(findings, 'postfix.tls.dns-support-level', 'smtp/unix')).toMatchObject({
      status: 'fail',
      severity: 'high',
    });
    expect(pick(findings, 'postfix.tls.outbound-protocols', 'smtp/unix')).toMatchObject({
      status: 'fail',
      severity: 'high',
    });
  });

  it('finds an open relay and a too wide mynetworks', async () => {
    const d = dir('smtpd_relay_restrictions = permit\nmynetworks = 0.0.0.0/0 127.0.0.0/8\n', SMTPD);
    const { findings } = await auditPostfix({ configDir: d, exec: missing });
    expect(pick(findings, 'postfix.relay.restrictions', 'smtp/inet')).toMatchObject({
      status: 'fail',
      severity: 'critical',
    });
    const n = pick(findings, 'postfix.relay.mynetworks');
    expect(n).toMatchObject({ status: 'fail', severity: 'high' });
    expect(n.detail).toContain('0.0.0.0/0');
  });

  it('reads legacy smtp_use_tls and bounce settings', async () => {
    const d = dir(
      'smtp_use_tls = yes\nnotify_classes = bounce, resource\nmaximal_queue_lifetime = 30d\n',
      CLIENT,
    );
    const { findings } = await auditPostfix({ configDir: d, exec: missing });
    expect(pick(findings, 'postfix.tls.outbound-level', 'smtp/unix')).toMatchObject({
      status: 'warn',
      severity: 'medium',
    });
    expect(pick(findings, 'postfix.bounce.notify-classes').title).toContain('bounce');
    expect(pick(findings, 'postfix.retention.queue-lifetime').status).toBe('warn');
  });
});

describe('bad input', () => {
  it('reports broken lines, unknown parameters and loops with file and line', async () => {
    const d = dir(
      'good = $good2\nsmtpd_tls_securty_level = may\nbroken line\nloop = $loop\n',
      `${SMTPD}oops\nsubmission inet n - y - - smtpd\n  -o smtpd_tls_securitylevel=encrypt\n`,
    );
    const { findings } = await auditPostfix({ configDir: d, exec: missing });
    const syntax = findings.filter((x) => x.id === 'postfix.config.syntax').map((x) => x.evidence);
    expect(syntax).toEqual([
      { file: join(d, 'main.cf'), line: 3, problem: expect.any(String) },
      { file: join(d, 'master.cf'), line: 2, problem: expect.any(String) },
    ]);
    const unknown = findings
      .filter((x) => x.id === 'postfix.config.unknown-parameter')
      .map((x) => x.evidence);
    expect(unknown).toContainEqual({
      file: join(d, 'main.cf'),
      line: 2,
      parameter: 'smtpd_tls_securty_level',
    });
    expect(unknown).toContainEqual({ file: join(d, 'main.cf'), line: 1, parameter: 'good' });
    expect(pick(findings, 'postfix.config.expansion').evidence).toMatchObject({ line: 4, parameter: 'loop' });
    expect(unknown).toContainEqual({
      file: join(d, 'master.cf'),
      line: 4,
      parameter: 'smtpd_tls_securitylevel',
      service: 'submission/inet',
    });
  });

  it('turns unreadable files into error findings', async () => {
    const { findings } = await auditPostfix({ configDir: join(scratch, 'nope'), exec: missing });
    expect(findings.filter((x) => x.id === 'postfix.config.unreadable' && x.status === 'error')).toHaveLength(
      2,
    );
  });

  it('uses postconf -d output when it answers', async () => {
    const calls: string[][] = [];
    const exec: ExecTool = (file, args) => {
      calls.push([file, ...args]);
      return Promise.resolve({
        code: 0,
        stdout: 'disable_vrfy_command = yes\nsmtpd_banner = $myhostname ESMTP\nmyhostname = h\n',
        stderr: '',
      });
    };
    const d = dir('', SMTPD);
    const { findings, defaultsFrom } = await auditPostfix({ configDir: d, exec });
    expect(calls[0]).toEqual(['postconf', '-d', '-c', d]);
    expect(defaultsFrom).toBe(`postconf -d -c ${d}`);
    expect(pick(findings, 'postfix.disclosure.vrfy', 'smtp/inet').status).toBe('pass');
    expect(findings.some((x) => x.id === 'postfix.config.defaults')).toBe(false);
  });
});
