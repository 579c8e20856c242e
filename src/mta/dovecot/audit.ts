import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import { execTool, type ExecTool } from '../postfix/defaults.js';
import { readConfigFile } from '../postfix/audit.js';
import { filterOverrides, parseDovecot, topLevel, type DovecotConfig, type DovecotSetting } from './parse.js';

/** Dovecot 2.3 defaults of the settings judged here (`doveconf -d`). */
const DEFAULTS: Readonly<Record<string, string>> = {
  ssl: 'yes',
  ssl_min_protocol: 'TLSv1.2',
  disable_plaintext_auth: 'yes',
  auth_allow_cleartext: 'no',
  auth_verbose_passwords: 'no',
  auth_debug_passwords: 'no',
  auth_debug: 'no',
  auth_verbose: 'no',
  mail_debug: 'no',
  log_path: 'syslog',
  info_log_path: '',
  debug_log_path: '',
};

/** What to audit: a config file, or the running configuration through `doveconf -n`. */
export interface DovecotAuditOptions {
  /** A dovecot.conf or saved `doveconf -n` output; undefined runs `doveconf -n`. */
  config?: string;
  /** Also ask `doveconf -n -c FILE` whether Dovecot accepts the file (default true). */
  useDoveconf?: boolean;
  exec?: ExecTool;
  doveconf?: string;
}

export interface DovecotAudit {
  source: string;
  findings: Finding[];
  /** False when no configuration could be read at all (missing file, doveconf absent or failing). */
  read: boolean;
}

/** A value as Dovecot sees it at top level, with its location (line 0 = default). */
interface Effective {
  key: string;
  value: string;
  file: string;
  line: number;
  isDefault: boolean;
}

function effective(cfg: DovecotConfig, key: string, source: string): Effective {
  const s = topLevel(cfg, key);
  if (s) return { key, value: s.value, file: s.file, line: s.line, isDefault: false };
  return { key, value: DEFAULTS[key] ?? '', file: source, line: 0, isDefault: true };
}

function yes(v: string): boolean {
  return /^(yes|y|1|true)$/i.test(v.trim());
}

function at(e: Effective | DovecotSetting): string {
  return e.line === 0 ? `default (not set in ${e.file})` : `${e.file}:${e.line}`;
}

function dfinding(
  e: Effective | DovecotSetting,
  f: Omit<Parameters<typeof finding>[0], 'controls' | 'evidence'> & { controls?: string[]; section?: string },
): Finding {
  const { section, ...rest } = f;
  // A default read from `doveconf -n` output has no file to point at: name where it belongs instead.
  const place =
    e.line !== 0
      ? ` (${e.file}, line ${e.line})`
      : e.file.includes(' ')
        ? ' (add it to dovecot.conf or a conf.d/ file)'
        : ` (add it to ${e.file})`;
  return finding({
    ...rest,
    ...(f.remediation ? { remediation: `${f.remediation}${place}` } : {}),
    title: section ? `${section}: ${f.title}` : f.title,
    detail: `${f.detail} [${e.key} = ${e.value || '(empty)'} — ${at(e)}]`,
    controls: f.controls ?? ['access.admin'],
    evidence: { setting: e.key, value: e.value, file: e.file, line: e.line, ...(section ? { section } : {}) },
  });
}

const PROTOCOL_ORDER = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Audits a Dovecot configuration: TLS, cleartext logins, passwords and debug output in logs. Never throws. */
export async function auditDovecot(o: DovecotAuditOptions): Promise<DovecotAudit> {
  const exec = o.exec ?? execTool;
  const bin = o.doveconf ?? 'doveconf';
  const findings: Finding[] = [];
  let cfg: DovecotConfig;
  let source: string;
  if (o.config) {
    source = o.config;
    cfg = parseDovecot(o.config, readConfigFile);
    if (o.useDoveconf !== false && cfg.files.length > 0) {
      const r = await exec(bin, ['-n', '-c', o.config]);
      if (r.code !== 0 && r.code !== 127) {
        findings.push(
          finding({
            id: 'dovecot.config.rejected',
            status: 'fail',
            severity: 'medium',
            title: 'doveconf rejects this configuration',
            detail: `${r.stderr.trim().split('\n')[0]?.slice(0, 300) ?? ''}: Dovecot will not start with it.`,
            evidence: { command: `${bin} -n -c ${o.config}`, exitCode: r.code },
            controls: ['access.admin'],
          }),
        );
      }
    }
  } else {
    source = `${bin} -n`;
    const r = await exec(bin, ['-n']);
    if (r.code !== 0) {
      findings.push(
        finding({
          id: 'dovecot.config.unreadable',
          status: 'error',
          title: 'could not read the Dovecot configuration',
          detail:
            r.code === 127
              ? 'doveconf is not installed; give the file with --config.'
              : `${source} failed: ${r.stderr.trim().split('\n')[0]?.slice(0, 300) ?? ''}`,
          evidence: { command: source, exitCode: r.code },
          controls: ['access.admin'],
        }),
      );
      return { source, findings, read: false };
    }
    cfg = parseDovecot(source, () => ({ text: r.stdout }));
  }
  for (const p of cfg.problems) {
    findings.push(
      finding({
        id: p.message.startsWith('cannot read') ? 'dovecot.config.unreadable' : 'dovecot.config.syntax',
        status: p.message.startsWith('cannot read') ? 'error' : 'fail',
        severity: 'medium',
        title: `${p.file}, line ${p.line}: ${p.message}`,
        detail: 'Dovecot refuses to start with a broken configuration, or the audit could not see all of it.',
        evidence: p,
        controls: ['access.admin'],
      }),
    );
  }
  if (cfg.files.length === 0) return { source, findings, read: false };
  findings.push(...tlsChecks(cfg, source), ...logChecks(cfg, source));
  return { source, findings, read: true };
}

function tlsChecks(cfg: DovecotConfig, source: string): Finding[] {
  const out: Finding[] = [];
  const v24 = topLevel(cfg, 'dovecot_config_version') !== undefined;
  const ssl = effective(cfg, 'ssl', source);
  const sslMode = ssl.value.toLowerCase();
  for (const e of [ssl, ...filterOverrides(cfg, 'ssl')]) {
    const mode = e.value.toLowerCase();
    const section = 'sections' in e ? e.sections.join(' / ') : undefined;
    out.push(
      dfinding(e, {
        id: 'dovecot.ssl',
        status: mode === 'required' ? 'pass' : mode === 'no' ? 'fail' : 'warn',
        severity: mode === 'required' ? 'info' : mode === 'no' ? 'high' : 'low',
        title:
          mode === 'required'
            ? 'TLS is required'
            : mode === 'no'
              ? 'TLS is switched off'
              : 'TLS is offered but not required',
        detail:
          mode === 'required'
            ? 'No client can log in or read mail without TLS.'
            : mode === 'no'
              ? 'IMAP and POP3 sessions, passwords and mailbox contents cross the network in cleartext.'
              : 'Clients may read mail without TLS (with non-plaintext logins, or from trusted networks); "required" closes that.',
        ...(section ? { section } : {}),
        ...(mode === 'required' ? {} : { remediation: 'ssl = required' }),
      }),
    );
  }
  const min = effective(cfg, 'ssl_min_protocol', source);
  const idx = PROTOCOL_ORDER.findIndex((p) => p.toLowerCase() === min.value.toLowerCase());
  const old = min.value.toUpperCase() === 'ANY' || (idx >= 0 && idx < PROTOCOL_ORDER.indexOf('TLSv1.2'));
  out.push(
    dfinding(min, {
      id: 'dovecot.ssl-min-protocol',
      status: old ? 'warn' : 'pass',
      severity: old ? 'medium' : 'info',
      title: old ? `TLS below 1.2 is accepted (${min.value})` : `minimum TLS version ${min.value}`,
      detail: old
        ? 'SSLv3, TLS 1.0 and 1.1 are deprecated (RFC 8996).'
        : 'Old protocol versions are refused.',
      controls: ['transport.starttls'],
      ...(old ? { remediation: 'ssl_min_protocol = TLSv1.2' } : {}),
    }),
  );
  const clearKey =
    v24 || topLevel(cfg, 'auth_allow_cleartext') ? 'auth_allow_cleartext' : 'disable_plaintext_auth';
  const clear = effective(cfg, clearKey, source);
  const allowed = clearKey === 'auth_allow_cleartext' ? yes(clear.value) : !yes(clear.value);
  const bad = allowed && sslMode !== 'required';
  out.push(
    dfinding(clear, {
      id: 'dovecot.plaintext-auth',
      status: bad ? 'fail' : 'pass',
      severity: bad ? 'high' : 'info',
      title: bad ? 'passwords may be sent without TLS' : 'plaintext logins need TLS',
      detail: bad
        ? 'Plaintext authentication is allowed on unencrypted connections, so user names and passwords can be read on the network.'
        : 'PLAIN/LOGIN are refused until the connection is encrypted.',
      ...(bad
        ? {
            remediation:
              clearKey === 'auth_allow_cleartext'
                ? 'auth_allow_cleartext = no'
                : 'disable_plaintext_auth = yes',
          }
        : {}),
    }),
  );
  return out;
}

function logChecks(cfg: DovecotConfig, source: string): Finding[] {
  const out: Finding[] = [];
  const judge = (key: string, severity: 'high' | 'medium' | 'low', what: string, control: string) => {
    for (const e of [effective(cfg, key, source), ...filterOverrides(cfg, key)]) {
      const on = key === 'auth_verbose_passwords' ? !/^(no|)$/i.test(e.value.trim()) : yes(e.value);
      const section = 'sections' in e ? e.sections.join(' / ') : undefined;
      out.push(
        dfinding(e, {
          id: `dovecot.${key.replace(/_/g, '-')}`,
          status: on ? 'fail' : 'pass',
          severity: on ? severity : 'info',
          title: on ? `${key} is on: ${what}` : `${key} is off`,
          detail: on
            ? `The log receives ${what}; logs are kept and read by more people than mailboxes.`
            : 'Nothing extra is written to the log.',
          controls: [control],
          ...(section ? { section } : {}),
          ...(on ? { remediation: `${key} = no` } : {}),
        }),
      );
    }
  };
  judge('auth_verbose_passwords', 'high', 'passwords of failed logins', 'access.admin');
  judge('auth_debug_passwords', 'high', 'passwords and full authentication exchanges', 'access.admin');
  judge('mail_debug', 'medium', 'every mailbox lookup with user names and paths', 'retention.logs');
  judge('auth_debug', 'low', 'user lookups and authentication details', 'retention.logs');
  const paths = ['log_path', 'info_log_path', 'debug_log_path'].map((k) => effective(cfg, k, source));
  const shown = paths.filter((p) => p.value !== '').map((p) => `${p.key} = ${p.value}`);
  out.push(
    finding({
      id: 'dovecot.log-destinations',
      status: 'info',
      title: `Dovecot logs to ${[...new Set(paths.map((p) => p.value).filter(Boolean))].join(', ') || 'syslog'}`,
      detail: `${shown.join('; ')}. These logs hold user names and client IP addresses: rotate and purge them on schedule${paths.some((p) => p.value.startsWith('/')) ? ' (Dovecot never rotates its own files)' : ''}.`,
      evidence: paths.map((p) => ({ setting: p.key, value: p.value, file: p.file, line: p.line })),
      controls: ['retention.logs'],
    }),
  );
  return out;
}
