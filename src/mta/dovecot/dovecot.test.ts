import fc from 'fast-check';
import { resolve, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import type { ExecTool } from '../postfix/defaults.js';
import { auditDovecot } from './audit.js';
import { parseDovecot } from './parse.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/mta/dovecot');
const noTool: ExecTool = () => Promise.resolve({ code: 127, stdout: '', stderr: '' });

function all(findings: Finding[], id: string): Finding[] {
  return findings.filter((f) => f.id === id);
}

describe('parseDovecot', () => {
  const files: Record<string, string> = {
    '/c/dovecot.conf':
      'a = 1 # note\n!include conf.d/*.conf\nservice imap-login {\n  inet_listener imap {\n    port = 143\n  }\n}\nb = "quoted # not a comment"\n',
    '/c/conf.d/10-x.conf': 'ssl = \\\n  required\n',
  };
  const read = (p: string) => (p in files ? { text: files[p] as string } : { error: 'ENOENT' });

  it('follows includes, sections, continuations, quotes and comments', () => {
    const cfg = parseDovecot('/c/dovecot.conf', read, (d) =>
      d === '/c/conf.d' ? ['10-x.conf', 'README'] : [],
    );
    expect(cfg.problems).toEqual([]);
    expect(cfg.settings.map((s) => [s.key, s.value, s.sections.join('/'), s.file, s.line])).toEqual([
      ['a', '1', '', '/c/dovecot.conf', 1],
      ['ssl', 'required', '', '/c/conf.d/10-x.conf', 1],
      ['port', '143', 'service imap-login/inet_listener imap', '/c/dovecot.conf', 5],
      ['b', 'quoted # not a comment', '', '/c/dovecot.conf', 8],
    ]);
  });

  it('stops include loops and reports unbalanced sections', () => {
    const loop = parseDovecot('/l.conf', () => ({ text: '!include /l.conf\nx {\n' }));
    expect(loop.problems.some((p) => /too deep/.test(p.message))).toBe(true);
    expect(loop.problems.some((p) => /not closed/.test(p.message))).toBe(true);
  });

  it('never throws on arbitrary text (property)', () => {
    const unit = fc.constantFrom('a', ' ', '=', '{', '}', '\n', '#', '"', '\\', '!include x', 'ssl', '<');
    fc.assert(
      fc.property(fc.string({ unit }), (t) => {
        const cfg = parseDovecot('/f', (p) => (p === '/f' ? { text: t } : { error: 'ENOENT' }));
        for (const s of cfg.settings) expect(s.line).toBeGreaterThan(0);
      }),
    );
  });
});

describe('auditDovecot', () => {
  it('flags the weak configuration with file and line', async () => {
    const file = join(FIXTURES, 'weak/dovecot.conf');
    const { findings } = await auditDovecot({ config: file, exec: noTool });
    const plain = all(findings, 'dovecot.plaintext-auth')[0];
    expect(plain).toMatchObject({ status: 'fail', severity: 'high' });
    expect(plain?.evidence).toMatchObject({ file: join(FIXTURES, 'weak/conf.d/10-auth.conf'), line: 1 });
    expect(all(findings, 'dovecot.auth-verbose-passwords')[0]).toMatchObject({
      status: 'fail',
      severity: 'high',
    });
    expect(all(findings, 'dovecot.auth-debug-passwords')[0]?.evidence).toMatchObject({ line: 3 });
    expect(all(findings, 'dovecot.mail-debug')[0]?.status).toBe('fail');
    expect(all(findings, 'dovecot.ssl-min-protocol')[0]).toMatchObject({
      status: 'warn',
      severity: 'medium',
    });
    const ssl = all(findings, 'dovecot.ssl');
    expect(ssl.map((f) => [f.status, (f.evidence as { section?: string }).section])).toEqual([
      ['warn', undefined],
      ['fail', 'protocol pop3'],
    ]);
    expect(all(findings, 'dovecot.config.syntax')[0]?.evidence).toMatchObject({ file, line: 9 });
    expect(all(findings, 'dovecot.config.unreadable')[0]?.evidence).toMatchObject({ file, line: 10 });
    expect(all(findings, 'dovecot.log-destinations')[0]?.title).toContain('/var/log/dovecot.log');
  });

  it('finds nothing at medium or above in the hardened configuration', async () => {
    const { findings } = await auditDovecot({
      config: join(FIXTURES, 'hardened/dovecot.conf'),
      exec: noTool,
    });
    const bad = findings.filter((f) => f.status !== 'pass' && f.status !== 'info' && f.severity !== 'low');
    expect(bad).toEqual([]);
    expect(all(findings, 'dovecot.ssl')[0]?.status).toBe('pass');
  });

  it('reads the 2.4 auth_allow_cleartext setting', async () => {
    const { findings } = await auditDovecot({ config: join(FIXTURES, 'v24.conf'), exec: noTool });
    expect(all(findings, 'dovecot.plaintext-auth')[0]).toMatchObject({
      status: 'fail',
      evidence: { setting: 'auth_allow_cleartext', line: 4 },
    });
  });

  it('uses doveconf -n without --config and reports its absence as an error', async () => {
    const absent = await auditDovecot({ exec: noTool });
    expect(absent.findings).toHaveLength(1);
    expect(absent.read).toBe(false);
    expect(absent.findings[0]).toMatchObject({ id: 'dovecot.config.unreadable', status: 'error' });
    const calls: string[][] = [];
    const exec: ExecTool = (f, a) => {
      calls.push([f, ...a]);
      return Promise.resolve({ code: 0, stdout: '# 2.3.19\nssl = no\n', stderr: '' });
    };
    const r = await auditDovecot({ exec });
    expect(r.read).toBe(true);
    expect(calls).toEqual([['doveconf', '-n']]);
    expect(all(r.findings, 'dovecot.ssl')[0]).toMatchObject({
      status: 'fail',
      evidence: { file: 'doveconf -n', line: 2 },
    });
  });

  it('reports a configuration doveconf rejects', async () => {
    const exec: ExecTool = () =>
      Promise.resolve({
        code: 89,
        stdout: '',
        stderr: 'doveconf: Fatal: Error in configuration file x line 3: Unknown setting: sssl\n',
      });
    const r = await auditDovecot({ config: join(FIXTURES, 'hardened/dovecot.conf'), exec });
    expect(all(r.findings, 'dovecot.config.rejected')[0]?.detail).toContain('Unknown setting: sssl');
  });
});
