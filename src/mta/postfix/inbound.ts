import type { Finding } from '../../core/finding.js';
import { isYes, setting, type PostfixConfig, type Setting } from './config.js';
import { fixFor, fixService, postfixFinding } from './emit.js';
import { protocolRisk } from './protocols.js';
import { smtpdRole, type SmtpdRole } from './services.js';
import type { MasterService } from './types.js';

/** The smtpd service's effective TLS level, honouring the pre-2.3 `smtpd_use_tls`/`smtpd_enforce_tls`. */
export function serverLevel(cfg: PostfixConfig, s: MasterService): { level: string; from: Setting } {
  const lvl = setting(cfg, 'smtpd_tls_security_level', s);
  if (lvl.value !== '') return { level: lvl.value.toLowerCase(), from: lvl };
  const enforce = setting(cfg, 'smtpd_enforce_tls', s);
  if (isYes(enforce.value)) return { level: 'encrypt', from: enforce };
  const use = setting(cfg, 'smtpd_use_tls', s);
  if (isYes(use.value)) return { level: 'may', from: use };
  return { level: 'none', from: lvl };
}

/** The certificate setting in force, or undefined when the service has none. */
function certificate(cfg: PostfixConfig, s: MasterService): Setting | undefined {
  for (const n of ['smtpd_tls_chain_files', 'smtpd_tls_cert_file', 'smtpd_tls_eccert_file']) {
    const c = setting(cfg, n, s);
    if (c.value !== '' && c.value.toLowerCase() !== 'none') return c;
  }
  return undefined;
}

/** Inbound TLS, authentication and protocol checks for one network-facing smtpd service. */
export function inboundChecks(cfg: PostfixConfig, s: MasterService): Finding[] {
  const role = smtpdRole(s);
  if (role === 'internal') return [];
  const { level, from } = serverLevel(cfg, s);
  const wrapper = setting(cfg, 'smtpd_tls_wrappermode', s);
  const cert = certificate(cfg, s);
  const certFix = cert
    ? ''
    : ` && ${fixFor(cfg, setting(cfg, 'smtpd_tls_chain_files', s), s, '/etc/ssl/private/mail.pem')}`;
  const out: Finding[] = [tlsLevel(cfg, s, role, level, from, wrapper, cert, certFix)];
  const required = level === 'encrypt' || (role === 'submissions' && isYes(wrapper.value));
  out.push(authCheck(cfg, s, role, required));
  out.push(serverProtocols(cfg, s, required));
  return out;
}

function tlsLevel(
  cfg: PostfixConfig,
  s: MasterService,
  role: SmtpdRole,
  level: string,
  from: Setting,
  wrapper: Setting,
  cert: Setting | undefined,
  certFix: string,
): Finding {
  const controls = ['transport.starttls'];
  const common = { id: 'postfix.tls.inbound-level', setting: from, service: s, controls };
  if (role === 'mx') {
    if (level === 'none' || !cert) {
      return postfixFinding({
        ...common,
        status: 'fail',
        severity: 'high',
        title: 'port 25 offers no STARTTLS',
        detail: `Incoming mail is received in cleartext${cert ? '' : ' (no server certificate configured)'}; senders that would encrypt cannot.`,
        remediation: `${fixFor(cfg, from, s, 'may')}${certFix}`,
      });
    }
    if (level === 'encrypt') {
      return postfixFinding({
        ...common,
        status: 'warn',
        severity: 'low',
        title: 'port 25 requires TLS',
        detail:
          'RFC 3207 says a publicly referenced MX must not require STARTTLS; mail from servers without TLS is refused instead of delivered. Use "may" here and enforce TLS through MTA-STS and DANE.',
        remediation: fixFor(cfg, from, s, 'may'),
      });
    }
    return postfixFinding({
      ...common,
      status: 'pass',
      title: 'port 25 offers STARTTLS with a certificate',
      detail: 'Opportunistic TLS is offered to every sender.',
    });
  }
  if (role === 'submissions') {
    const ok = isYes(wrapper.value) && cert;
    return postfixFinding({
      ...common,
      setting: wrapper,
      status: ok ? 'pass' : 'fail',
      severity: ok ? 'info' : 'high',
      title: ok ? 'port 465 speaks implicit TLS' : 'port 465 is not in TLS wrapper mode',
      detail: ok
        ? 'Clients connect with TLS from the first byte (RFC 8314).'
        : 'Port 465 must run with smtpd_tls_wrappermode = yes and a certificate; otherwise clients that expect implicit TLS fail or fall back.',
      ...(ok ? {} : { remediation: `${fixService(cfg, s, 'smtpd_tls_wrappermode', 'yes')}${certFix}` }),
    });
  }
  const ok = level === 'encrypt' && cert;
  return postfixFinding({
    ...common,
    status: ok ? 'pass' : 'fail',
    severity: ok ? 'info' : 'high',
    title: ok ? 'submission requires TLS' : 'submission does not require TLS',
    detail: ok
      ? 'Users can only submit mail (and credentials) over an encrypted connection.'
      : 'On port 587 mail and logins from users can cross the network in cleartext; RFC 8314 expects encryption to be required.',
    ...(ok ? {} : { remediation: `${fixService(cfg, s, 'smtpd_tls_security_level', 'encrypt')}${certFix}` }),
  });
}

function authCheck(cfg: PostfixConfig, s: MasterService, role: SmtpdRole, tlsRequired: boolean): Finding {
  const sasl = setting(cfg, 'smtpd_sasl_auth_enable', s);
  const authOnly = setting(cfg, 'smtpd_tls_auth_only', s);
  const controls = ['access.admin'];
  const common = { id: 'postfix.auth.tls-only', service: s, controls };
  if (!isYes(sasl.value)) {
    return postfixFinding({
      ...common,
      setting: sasl,
      status: 'pass',
      title: 'no SASL authentication on this service',
      detail: 'Nobody can log in here, so no password can leak here.',
    });
  }
  if (tlsRequired || isYes(authOnly.value)) {
    return postfixFinding({
      ...common,
      setting: tlsRequired ? sasl : authOnly,
      status: role === 'mx' ? 'warn' : 'pass',
      severity: role === 'mx' ? 'low' : 'info',
      title: role === 'mx' ? 'SASL is offered on port 25' : 'SASL only after TLS',
      detail:
        role === 'mx'
          ? 'Logins are TLS-protected, but offering AUTH on the MX port invites password guessing; keep authentication on 587/465.'
          : 'AUTH is offered only over an encrypted connection.',
      ...(role === 'mx' ? { remediation: fixService(cfg, s, 'smtpd_sasl_auth_enable', 'no') } : {}),
    });
  }
  return postfixFinding({
    ...common,
    setting: authOnly,
    related: [sasl],
    status: 'fail',
    severity: 'high',
    title: 'SASL logins are allowed without TLS',
    detail:
      'smtpd_sasl_auth_enable = yes while TLS is optional and smtpd_tls_auth_only = no: user names and passwords can be sent in cleartext.',
    remediation: fixFor(cfg, authOnly, s, 'yes', true),
  });
}

function serverProtocols(cfg: PostfixConfig, s: MasterService, required: boolean): Finding {
  const p = setting(cfg, required ? 'smtpd_tls_mandatory_protocols' : 'smtpd_tls_protocols', s);
  const risk = protocolRisk(p.value);
  const bad = risk === 'ssl' || (required && risk === 'legacy-tls');
  return postfixFinding({
    id: 'postfix.tls.inbound-protocols',
    status: bad ? (risk === 'ssl' ? 'fail' : 'warn') : 'pass',
    severity: bad ? (risk === 'ssl' ? 'high' : 'medium') : 'info',
    title: bad
      ? risk === 'ssl'
        ? 'inbound TLS allows SSLv2/SSLv3'
        : 'required TLS still accepts TLS 1.0/1.1'
      : 'inbound TLS protocols are acceptable',
    detail: bad
      ? 'Deprecated protocols (RFC 8996) remain enabled where this service requires encryption; clients that can only speak them are better refused.'
      : required
        ? 'Required TLS uses TLS 1.2 or later.'
        : 'Opportunistic TLS keeps older protocols only so that old senders still encrypt.',
    controls: ['transport.starttls'],
    setting: p,
    service: s,
    ...(bad ? { remediation: fixFor(cfg, p, s, '>=TLSv1.2') } : {}),
  });
}
