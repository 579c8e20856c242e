import ipaddr from 'ipaddr.js';
import type { Finding } from '../../core/finding.js';
import { listItems, setting, type PostfixConfig } from './config.js';
import { fixFor, postfixFinding } from './emit.js';
import { smtpdRole } from './services.js';
import type { MasterService } from './types.js';

const CLOSING = /^(reject_unauth_destination|defer_unauth_destination)$/;

/** True when a restriction list stops relaying: it names *_unauth_destination or ends in reject/defer. */
function closes(list: string[]): boolean {
  if (list.some((r) => CLOSING.test(r))) return true;
  const last = list[list.length - 1];
  return last === 'reject' || last === 'defer';
}

/** Relay restrictions of one network-facing smtpd service. */
export function relayCheck(cfg: PostfixConfig, s: MasterService): Finding[] {
  if (smtpdRole(s) === 'internal') return [];
  const relay = setting(cfg, 'smtpd_relay_restrictions', s);
  const rcpt = setting(cfg, 'smtpd_recipient_restrictions', s);
  const ok = closes(listItems(relay.value)) || closes(listItems(rcpt.value));
  return [
    postfixFinding({
      id: 'postfix.relay.restrictions',
      status: ok ? 'pass' : 'fail',
      severity: ok ? 'info' : 'critical',
      title: ok
        ? 'relaying is restricted'
        : 'no reject_unauth_destination: this service may relay for anyone',
      detail: ok
        ? 'Mail to foreign domains needs mynetworks or authentication.'
        : 'Neither smtpd_relay_restrictions nor smtpd_recipient_restrictions ends relaying with reject_unauth_destination; an open relay sends spam and abuse under the organisation\u2019s name.',
      controls: ['access.admin'],
      setting: relay,
      related: [rcpt],
      service: s,
      ...(ok
        ? {}
        : {
            remediation: fixFor(
              cfg,
              relay,
              s,
              'permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
            ),
          }),
    }),
  ];
}

/** Smallest prefix lengths that still count as one site's network rather than "the internet". */
const MIN_PREFIX_V4 = 16;
const MIN_PREFIX_V6 = 32;

/** mynetworks: every client in it may relay without logging in, so it must be small and local. */
export function mynetworksCheck(cfg: PostfixConfig, s?: MasterService): Finding {
  const nets = setting(cfg, 'mynetworks', s);
  const style = setting(cfg, 'mynetworks_style', s);
  const explicit = nets.origin !== 'default';
  const wide: string[] = [];
  const unknown: string[] = [];
  if (explicit) {
    for (const item of listItems(nets.value)) {
      const v = item.replace(/^\[|\]/g, '').replace(/\](\/\d+)$/, '$1');
      const cidr = v.includes('/') ? v : undefined;
      try {
        if (cidr) {
          const [addr, len] = ipaddr.parseCIDR(cidr);
          if (addr.range() === 'loopback') continue;
          if (len < (addr.kind() === 'ipv4' ? MIN_PREFIX_V4 : MIN_PREFIX_V6)) wide.push(item);
        } else ipaddr.parse(v);
      } catch {
        unknown.push(item);
      }
    }
  } else if (style.value === 'class') wide.push('mynetworks_style = class');
  const fail = wide.length > 0;
  const used = explicit ? nets : style;
  return postfixFinding({
    id: 'postfix.relay.mynetworks',
    status: fail ? 'fail' : unknown.length ? 'info' : 'pass',
    severity: fail ? 'high' : 'info',
    title: fail
      ? 'mynetworks is too wide: large address ranges may relay without authentication'
      : 'mynetworks is limited',
    detail: fail
      ? `Clients in ${wide.join(', ').slice(0, 300)} can send mail anywhere without logging in.`
      : unknown.length
        ? `Entries that are tables or names were not judged: ${unknown.join(', ').slice(0, 300)}.`
        : explicit
          ? 'Only small, local networks are trusted.'
          : `mynetworks follows mynetworks_style = ${style.value} (the host's own addresses).`,
    controls: ['access.admin'],
    setting: used,
    ...(s ? { service: s } : {}),
    ...(fail ? { remediation: fixFor(cfg, used, s, explicit ? '127.0.0.0/8 [::1]/128' : 'host') } : {}),
  });
}
