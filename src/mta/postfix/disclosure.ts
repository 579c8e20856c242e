import type { Finding } from '../../core/finding.js';
import { isYes, listItems, setting, type PostfixConfig } from './config.js';
import { fixFor, fixMain, fixService, postconfCommand, postfixFinding } from './emit.js';
import { smtpdRole } from './services.js';
import type { MasterService } from './types.js';

const OS_WORDS = /\b(debian|ubuntu|gnu|centos|red ?hat|rhel|fedora|suse|freebsd|openbsd|linux)\b/i;
const VERSION_LIKE = /\b\d+\.\d+(\.\d+)?\b/;

/** Banner, VRFY, table names and TLS Received header of one network-facing smtpd service. */
export function disclosureChecks(cfg: PostfixConfig, s: MasterService): Finding[] {
  const role = smtpdRole(s);
  if (role === 'internal') return [];
  const controls = ['minimisation.smtp-disclosure'];
  const out: Finding[] = [];
  const banner = setting(cfg, 'smtpd_banner', s);
  const version = setting(cfg, 'mail_version', s).value;
  const name = setting(cfg, 'mail_name', s).value;
  const showsVersion =
    /\$\{?\(?mail_version/.test(banner.raw) ||
    (version !== '' && banner.value.includes(version)) ||
    VERSION_LIKE.test(banner.value);
  const showsName =
    /\$\{?\(?mail_name/.test(banner.raw) ||
    (name !== '' && banner.value.toLowerCase().includes(name.toLowerCase()));
  const showsOs = OS_WORDS.test(banner.value);
  const what = [
    showsVersion && 'version',
    showsName && 'software name',
    showsOs && 'operating system',
  ].filter(Boolean);
  out.push(
    postfixFinding({
      id: 'postfix.disclosure.banner',
      status: what.length ? 'warn' : 'pass',
      severity: showsVersion ? 'medium' : what.length ? 'low' : 'info',
      title: what.length
        ? `SMTP banner reveals the ${what.join(', ')}`
        : 'SMTP banner reveals no software or version',
      detail: what.length
        ? `The greeting every client sees is "${banner.value.slice(0, 200)}"; it tells attackers what to target.`
        : `The greeting is "${banner.value.slice(0, 200)}".`,
      controls,
      setting: banner,
      service: s,
      ...(what.length ? { remediation: fixFor(cfg, banner, s, '$myhostname ESMTP') } : {}),
    }),
  );
  const vrfy = setting(cfg, 'disable_vrfy_command', s);
  const vrfyOff = isYes(vrfy.value);
  out.push(
    postfixFinding({
      id: 'postfix.disclosure.vrfy',
      status: vrfyOff ? 'pass' : 'fail',
      severity: vrfyOff ? 'info' : 'medium',
      title: vrfyOff ? 'VRFY is disabled' : 'VRFY is enabled: anyone can test which mailboxes exist',
      detail: vrfyOff
        ? 'Address probing through VRFY is refused.'
        : 'VRFY answers whether an address exists, so anyone can enumerate the people with mailboxes here.',
      controls,
      setting: vrfy,
      service: s,
      ...(vrfyOff ? {} : { remediation: fixFor(cfg, vrfy, s, 'yes') }),
    }),
  );
  const table = setting(cfg, 'show_user_unknown_table_name', s);
  const shows = isYes(table.value);
  out.push(
    postfixFinding({
      id: 'postfix.disclosure.table-name',
      status: shows ? 'warn' : 'pass',
      severity: shows ? 'low' : 'info',
      title: shows ? 'rejections name the internal lookup table' : 'rejections do not name internal tables',
      detail: shows
        ? 'A "User unknown in virtual mailbox table" reply reveals how mail is routed internally.'
        : 'Unknown recipients get a generic reply.',
      controls,
      setting: table,
      service: s,
      ...(shows ? { remediation: fixFor(cfg, table, s, 'no') } : {}),
    }),
  );
  const rcv = setting(cfg, 'smtpd_tls_received_header', s);
  const adds = isYes(rcv.value) && role !== 'mx';
  out.push(
    postfixFinding({
      id: 'postfix.headers.tls-received',
      status: adds ? 'warn' : 'pass',
      severity: adds ? 'low' : 'info',
      title: adds
        ? 'Received headers record the users\u2019 TLS details'
        : 'Received headers add no client TLS details here',
      detail: adds
        ? 'smtpd_tls_received_header = yes writes the client\u2019s protocol, cipher and any client certificate name into every message a user sends.'
        : 'smtpd_tls_received_header is off for this service (on port 25 it only describes other servers).',
      controls: ['minimisation.headers'],
      setting: rcv,
      service: s,
      ...(adds ? { remediation: fixFor(cfg, rcv, s, 'no', true) } : {}),
    }),
  );
  if (role !== 'mx') out.push(submissionHeaders(cfg, s));
  return out;
}

const SENSITIVE = ['Received', 'User-Agent', 'X-Originating-IP'] as const;

/**
 * Whether a submission service strips the Received/User-Agent/X-Originating-IP headers that expose
 * users' addresses and software: through a milter, or header_checks on its cleanup service.
 */
function submissionHeaders(cfg: PostfixConfig, s: MasterService): ReturnType<typeof postfixFinding> {
  const controls = ['minimisation.headers'];
  const milters = setting(cfg, 'smtpd_milters', s);
  const cleanupName = setting(cfg, 'cleanup_service_name', s);
  const cleanup = cfg.master.services.find((c) => c.name === cleanupName.value && c.command === 'cleanup');
  const checks = setting(cfg, 'header_checks', cleanup);
  const covered = checks.value !== '' ? headersMatched(checks.value, cfg) : undefined;
  const ok = milters.value !== '' || (covered !== undefined && covered.length === SENSITIVE.length);
  // A map we cannot read may well strip them: say so at low severity rather than guess.
  const unknown = !ok && checks.value !== '' && covered === undefined;
  const dedicated = cleanupName.value !== 'cleanup' && cleanup !== undefined;
  const seen =
    milters.value !== ''
      ? `a milter (${milters.value.slice(0, 100)}) can strip them`
      : checks.value === ''
        ? 'no header_checks and no milter apply to it'
        : unknown
          ? `header_checks ${checks.value.slice(0, 100)} apply but could not be read to confirm`
          : `header_checks ${checks.value.slice(0, 100)} on cleanup service "${cleanupName.value}" match ${covered?.length ? covered.join(', ') : 'none of them'}`;
  return postfixFinding({
    id: 'postfix.headers.submission',
    status: ok ? 'pass' : 'warn',
    severity: ok ? 'info' : unknown ? 'low' : 'medium',
    title: ok
      ? 'submitted mail can have client-identifying headers removed'
      : 'submitted mail keeps the user\u2019s IP address and client in its headers',
    detail: `Received, User-Agent and X-Originating-IP headers of mail sent by users disclose their IP address and software to every recipient; ${seen}.${dedicated || ok ? '' : ' Use a dedicated cleanup service for submission so the checks do not touch inbound mail.'}`,
    controls,
    setting: checks.value !== '' ? checks : milters,
    related: [cleanupName],
    service: s,
    ...(ok
      ? {}
      : {
          remediation:
            [
              postconfCommand(cfg, '-M', 'subcleanup/unix=subcleanup unix n - y - 0 cleanup'),
              fixMain(cfg, 'submission_header_checks', 'regexp:$config_directory/submission_header_checks'),
              postconfCommand(cfg, '-P', 'subcleanup/unix/header_checks=$submission_header_checks'),
              fixService(cfg, s, 'cleanup_service_name', 'subcleanup'),
            ].join(' && ') + ' (the map: /^(Received|User-Agent|X-Originating-IP):/ IGNORE)',
        }),
  });
}

/** Which sensitive headers a regexp:/pcre: header_checks file drops; undefined when it cannot be read. */
function headersMatched(value: string, cfg: PostfixConfig): string[] | undefined {
  const found = new Set<string>();
  let readable = false;
  for (const map of listItems(value)) {
    const m = /^(regexp|pcre):(.+)$/.exec(map);
    if (!m) continue;
    const text = cfg.readMap?.(m[2] as string);
    if (text === undefined) continue;
    readable = true;
    for (const line of text.split('\n')) {
      if (!/\s(IGNORE|REPLACE|STRIP)\b/i.test(line)) continue;
      for (const h of SENSITIVE) if (line.toLowerCase().includes(h.toLowerCase())) found.add(h);
    }
  }
  return readable ? SENSITIVE.filter((h) => found.has(h)) : undefined;
}
