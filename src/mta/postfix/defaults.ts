import { execFile } from 'node:child_process';
import { MTA_TOOL_TIMEOUT_MS } from '../../core/limits.js';

/**
 * Postfix 3.7 defaults of the parameters the audit reads, for when `postconf` is not installed.
 * Host-dependent ones (myhostname, mynetworks) are left to what main.cf says.
 */
export const BUILTIN_DEFAULTS: Readonly<Record<string, string>> = {
  compatibility_level: '0',
  mail_name: 'Postfix',
  mail_version: '3.7.11',
  myhostname: 'localhost',
  mydomain: 'localdomain',
  smtpd_banner: '$myhostname ESMTP $mail_name',
  smtp_tls_security_level: '',
  smtp_use_tls: 'no',
  smtp_enforce_tls: 'no',
  smtp_dns_support_level: '',
  smtp_tls_policy_maps: '',
  smtp_tls_protocols: '>=TLSv1',
  smtp_tls_mandatory_protocols: '>=TLSv1',
  smtp_tls_loglevel: '0',
  smtpd_tls_security_level: '',
  smtpd_use_tls: 'no',
  smtpd_enforce_tls: 'no',
  smtpd_tls_wrappermode: 'no',
  smtpd_tls_cert_file: '',
  smtpd_tls_key_file: '$smtpd_tls_cert_file',
  smtpd_tls_eccert_file: '',
  smtpd_tls_chain_files: '',
  smtpd_tls_protocols: '>=TLSv1',
  smtpd_tls_mandatory_protocols: '>=TLSv1',
  smtpd_tls_auth_only: 'no',
  smtpd_tls_received_header: 'no',
  smtpd_tls_loglevel: '0',
  smtpd_sasl_auth_enable: 'no',
  disable_vrfy_command: 'no',
  show_user_unknown_table_name: 'yes',
  cleanup_service_name: 'cleanup',
  header_checks: '',
  smtpd_milters: '',
  non_smtpd_milters: '',
  bounce_size_limit: '50000',
  bounce_template_file: '',
  notify_classes: 'resource, software',
  delay_warning_time: '0h',
  maximal_queue_lifetime: '5d',
  bounce_queue_lifetime: '5d',
  maillog_file: '',
  maillog_file_compressor: 'gzip',
  maillog_file_rotate_suffix: '%Y%m%d-%H%M%S',
  enable_long_queue_ids: 'no',
  mynetworks_style: '${{$compatibility_level} <level {2} ? {subnet} : {host}}',
  mynetworks: '127.0.0.0/8 [::1]/128',
  smtpd_relay_restrictions:
    '${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}',
  smtpd_recipient_restrictions: '',
};

/** Output of `postconf -d`, or why it could not be had. */
export type PostconfDefaults =
  { ok: true; values: Map<string, string>; command: string } | { ok: false; reason: string; command: string };

/** Runs a program and collects its output; the audit's one process seam, replaceable in tests. */
export type ExecTool = (
  file: string,
  args: string[],
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Runs a tool with a timeout and no shell; a missing binary resolves with code 127. */
export const execTool: ExecTool = (file, args) =>
  new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: MTA_TOOL_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
        const code = e.code === 'ENOENT' ? 127 : typeof e.code === 'number' ? e.code : 1;
        resolve({
          code,
          stdout: stdout ?? '',
          stderr: e.killed ? 'timed out' : (stderr ?? String(e.message)),
        });
      },
    );
  });

/** `name = value` lines, as printed by `postconf` and `postconf -d`. */
export function parsePostconfOutput(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_.-]+) =(?: (.*))?$/.exec(line);
    if (m) out.set(m[1] as string, m[2] ?? '');
  }
  return out;
}

/** Asks `postconf -d -c DIR` for the defaults this Postfix build uses. Never throws. */
export async function loadPostconfDefaults(
  configDir: string,
  exec: ExecTool = execTool,
  postconf = 'postconf',
): Promise<PostconfDefaults> {
  const command = `${postconf} -d -c ${configDir}`;
  const r = await exec(postconf, ['-d', '-c', configDir]);
  if (r.code === 127) return { ok: false, reason: 'postconf is not installed', command };
  const values = parsePostconfOutput(r.stdout);
  if (r.code !== 0 || values.size === 0) {
    return { ok: false, reason: `postconf failed: ${r.stderr.trim().split('\n')[0] ?? ''}`.trim(), command };
  }
  return { ok: true, values, command };
}
