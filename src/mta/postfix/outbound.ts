import type { Finding } from '../../core/finding.js';
import { isYes, setting, type PostfixConfig, type Setting } from './config.js';
import { fixFor, postfixFinding } from './emit.js';
import { protocolRisk } from './protocols.js';
import type { MasterService } from './types.js';

const ENFORCED = new Set(['encrypt', 'verify', 'secure', 'dane-only', 'fingerprint']);

/** The smtp client's effective TLS level, honouring the pre-2.3 `smtp_use_tls`/`smtp_enforce_tls`. */
export function clientLevel(cfg: PostfixConfig, s: MasterService): { level: string; from: Setting } {
  const lvl = setting(cfg, 'smtp_tls_security_level', s);
  if (lvl.value !== '') return { level: lvl.value.toLowerCase(), from: lvl };
  const enforce = setting(cfg, 'smtp_enforce_tls', s);
  if (isYes(enforce.value)) return { level: 'encrypt', from: enforce };
  const use = setting(cfg, 'smtp_use_tls', s);
  if (isYes(use.value)) return { level: 'may', from: use };
  return { level: 'none', from: lvl };
}

/** Outbound TLS of one smtp client service: level, DNSSEC for DANE, MTA-STS map, protocols, logging. */
export function outboundChecks(cfg: PostfixConfig, s: MasterService): Finding[] {
  const out: Finding[] = [];
  const { level, from } = clientLevel(cfg, s);
  const dns = setting(cfg, 'smtp_dns_support_level', s);
  const toDane = `${fixFor(cfg, from, s, 'dane')} && ${fixFor(cfg, dns, s, 'dnssec')}`;
  const base = { setting: from, service: s, controls: ['transport.starttls', 'transport.dane'] };
  if (level === 'none') {
    out.push(
      postfixFinding({
        ...base,
        id: 'postfix.tls.outbound-level',
        status: 'fail',
        severity: 'high',
        title: 'outbound mail is sent without TLS',
        detail:
          'The smtp client never offers STARTTLS, so every message it relays crosses the internet in cleartext.',
        remediation: toDane,
      }),
    );
  } else if (level === 'may') {
    out.push(
      postfixFinding({
        ...base,
        id: 'postfix.tls.outbound-level',
        status: 'warn',
        severity: 'medium',
        title: 'outbound TLS is opportunistic (may)',
        detail:
          'With "may" an attacker on the path can strip STARTTLS or present any certificate and the message is still sent; "dane" authenticates servers that publish TLSA records and stays opportunistic for the rest.',
        remediation: toDane,
      }),
    );
  } else {
    out.push(
      postfixFinding({
        ...base,
        id: 'postfix.tls.outbound-level',
        status: 'pass',
        title: `outbound TLS level is "${level}"`,
        detail: ENFORCED.has(level)
          ? 'TLS is required for every destination.'
          : 'DANE-authenticated TLS where published.',
      }),
    );
  }
  out.push(dnssecCheck(cfg, s, level, dns));
  out.push(policyMapCheck(cfg, s, level));
  out.push(clientProtocols(cfg, s, level));
  const log = setting(cfg, 'smtp_tls_loglevel', s);
  const logged = Number(log.value) >= 1;
  out.push(
    postfixFinding({
      id: 'postfix.tls.outbound-loglevel',
      status: logged ? 'pass' : 'warn',
      severity: logged ? 'info' : 'low',
      title: logged ? 'outbound TLS outcomes are logged' : 'outbound TLS outcomes are not logged',
      detail: logged
        ? 'smtp_tls_loglevel 1 records whether each delivery was Verified, Trusted or Untrusted.'
        : 'With smtp_tls_loglevel 0 the log does not show which deliveries were encrypted or verified, so transport failures cannot be shown to an auditor.',
      controls: ['transport.tls-reporting'],
      setting: log,
      service: s,
      ...(logged ? {} : { remediation: fixFor(cfg, log, s, '1') }),
    }),
  );
  return out;
}

function dnssecCheck(cfg: PostfixConfig, s: MasterService, level: string, dns: Setting): Finding {
  const ok = dns.value.toLowerCase() === 'dnssec';
  const dane = level === 'dane' || level === 'dane-only';
  return postfixFinding({
    id: 'postfix.tls.dns-support-level',
    status: ok ? 'pass' : dane ? 'fail' : 'warn',
    severity: ok ? 'info' : dane ? 'high' : 'medium',
    title: ok ? 'DNSSEC lookups are enabled (DANE possible)' : 'DNSSEC lookups are off, so DANE cannot work',
    detail: ok
      ? 'smtp_dns_support_level = dnssec lets the client trust authenticated TLSA records.'
      : dane
        ? 'The level says "dane" but without smtp_dns_support_level = dnssec Postfix never sees authenticated TLSA records and silently falls back to opportunistic TLS.'
        : 'Without smtp_dns_support_level = dnssec the client cannot use TLSA records published by receiving domains.',
    controls: ['transport.dane', 'transport.dnssec'],
    setting: dns,
    service: s,
    ...(ok ? {} : { remediation: fixFor(cfg, dns, s, 'dnssec') }),
  });
}

function policyMapCheck(cfg: PostfixConfig, s: MasterService, level: string): Finding {
  const maps = setting(cfg, 'smtp_tls_policy_maps', s);
  const present = maps.value !== '';
  const sts = /socketmap:/i.test(maps.value);
  return postfixFinding({
    id: 'postfix.tls.mta-sts',
    status: present ? 'pass' : ENFORCED.has(level) ? 'info' : 'warn',
    severity: present || ENFORCED.has(level) ? 'info' : 'medium',
    title: present
      ? sts
        ? 'a TLS policy socketmap (MTA-STS) is configured'
        : 'a TLS policy map is configured'
      : 'no MTA-STS policy map: MTA-STS policies of receiving domains are ignored',
    detail: present
      ? 'smtp_tls_policy_maps gives per-destination TLS requirements.'
      : 'Postfix enforces MTA-STS only through smtp_tls_policy_maps pointing at a policy server (socketmap); domains that publish "enforce" still get opportunistic TLS.',
    controls: ['transport.mta-sts'],
    setting: maps,
    service: s,
    ...(present
      ? {}
      : {
          remediation: `${fixFor(cfg, maps, s, 'socketmap:inet:127.0.0.1:8461:postfix')} (with \`mailcomply mta-sts-resolver\` listening there)`,
        }),
  });
}

function clientProtocols(cfg: PostfixConfig, s: MasterService, level: string): Finding {
  const opp = setting(cfg, 'smtp_tls_protocols', s);
  const mand = setting(cfg, 'smtp_tls_mandatory_protocols', s);
  const oppRisk = protocolRisk(opp.value);
  const mandRisk = protocolRisk(mand.value);
  const controls = ['transport.starttls'];
  if (oppRisk === 'ssl' || mandRisk === 'ssl') {
    const bad = mandRisk === 'ssl' ? mand : opp;
    return postfixFinding({
      id: 'postfix.tls.outbound-protocols',
      status: 'fail',
      severity: 'high',
      title: 'outbound TLS allows SSLv2/SSLv3',
      detail: 'SSL 2 and 3 are broken (POODLE, DROWN); no peer needs them.',
      controls,
      setting: bad,
      related: [opp, mand],
      service: s,
      remediation: fixFor(cfg, bad, s, '>=TLSv1.2'),
    });
  }
  if (mandRisk === 'legacy-tls' && level !== 'none') {
    return postfixFinding({
      id: 'postfix.tls.outbound-protocols',
      status: 'warn',
      severity: 'medium',
      title: 'mandatory outbound TLS still accepts TLS 1.0/1.1',
      detail:
        'Where TLS is required (policy maps, DANE matches, encrypt/verify), TLS 1.0 and 1.1 are deprecated (RFC 8996); require TLS 1.2 or later. Opportunistic TLS may keep them, as refusing them there only means cleartext.',
      controls,
      setting: mand,
      related: [opp],
      service: s,
      remediation: fixFor(cfg, mand, s, '>=TLSv1.2'),
    });
  }
  return postfixFinding({
    id: 'postfix.tls.outbound-protocols',
    status: 'pass',
    title: 'outbound TLS protocols exclude SSL and, where TLS is required, TLS 1.0/1.1',
    detail: 'Protocol lists are acceptable.',
    controls,
    setting: mand,
    related: [opp],
    service: s,
  });
}
