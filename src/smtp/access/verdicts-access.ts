/**
 * `submission.plaintext-auth` (can credentials be sent before TLS?) and `submission.implicit-tls`
 * (is there an encrypted way in, and is it the RFC 8314 one?).
 */
import type { Verdict } from '../verdict.js';
import { cleartextLogin } from './cleartext.js';
import { commandExchanges, type Located } from './merge.js';
import { portState } from './port-state.js';
import { fixesFor } from './remediation.js';
import { SERVICE_PAIRS, accessService, type ServicePair } from './services.js';
import type { AccessProbeResult } from './types.js';

const CAPABILITY_VERBS = ['EHLO', 'HELO', 'CAPABILITY', 'CAPA'];

const NONE_IN_CLEAR: Record<AccessProbeResult['protocol'], string> = {
  smtp: 'AUTH is not advertised before STARTTLS, so a client has no way to send credentials in clear.',
  imap: 'LOGINDISABLED is advertised and no SASL mechanism is offered before STARTTLS, so credentials cannot be sent in clear.',
  pop3: 'Neither USER nor any SASL mechanism is offered before STLS, so credentials cannot be sent in clear.',
};

/** `submission.plaintext-auth` for one STARTTLS port; undefined where it does not apply. */
export function plaintextAuthVerdict(r: AccessProbeResult): Verdict | undefined {
  if (portState(r) !== 'open') return undefined;
  const login = cleartextLogin(r);
  if (!login) return undefined;
  const service = accessService(r.port);
  const keyword = service?.starttlsKeyword ?? 'STARTTLS';
  const evidence = {
    service: r.service,
    methods: login.methods,
    capabilitiesInClear: r.capabilitiesInClear ?? null,
    transcript: commandExchanges(r, CAPABILITY_VERBS, { beforeTls: true }),
  };
  if (login.methods.length === 0) {
    return {
      status: 'pass',
      title: `${r.host} offers no login before TLS on port ${r.port}`,
      detail: NONE_IN_CLEAR[r.protocol],
      evidence,
    };
  }
  const list = login.methods.join(', ');
  if (login.assumed) {
    return {
      status: 'warn',
      severity: 'high',
      title: `${r.host} probably accepts passwords in clear on port ${r.port}`,
      detail: `The server does not answer CAPA, so it cannot advertise ${keyword} either, and POP3 servers without CAPA accept USER/PASS: passwords and mailbox contents would cross the network in clear text.`,
      remediation: fixesFor(r.protocol).auth,
      evidence,
    };
  }
  const how = login.revealsSecret
    ? 'A mail client set up without TLS, or one an attacker strips ' +
      `${keyword} from, sends the user name and password in clear text, readable by anyone on the path` +
      (r.protocol === 'smtp'
        ? ' (AUTH PLAIN carries them in its first line, before the server can refuse).'
        : '.')
    : 'These mechanisms do not send the password as such, but an eavesdropper can attack the exchange offline, and everything after the login crosses the network unencrypted.';
  return {
    status: 'fail',
    severity: login.revealsSecret ? 'high' : 'medium',
    title: `${r.host} accepts logins before TLS on port ${r.port} (${list})`,
    detail: `${r.starttls?.offered ? `Before ${keyword}` : `Without TLS (this port offers no ${keyword} at all)`} the server offers ${list}. ${how}`,
    remediation: fixesFor(r.protocol).auth,
    evidence,
  };
}

/** `submission.implicit-tls` for every probed address and service pair. */
export function implicitTlsVerdicts(results: readonly AccessProbeResult[]): Located[] {
  const out: Located[] = [];
  const addresses = [...new Set(results.map((r) => r.address))];
  for (const address of addresses) {
    const at = (port: number) => results.find((r) => r.address === address && r.port === port);
    for (const pair of SERVICE_PAIRS) {
      out.push(...pairVerdicts(pair, at(pair.clear.port), at(pair.implicit.port)));
    }
  }
  return out;
}

function pairVerdicts(
  pair: ServicePair,
  clear: AccessProbeResult | undefined,
  implicit: AccessProbeResult | undefined,
): Located[] {
  const out: Located[] = [];
  const clearOpen = clear !== undefined && portState(clear) === 'open';
  const implicitOpen = implicit !== undefined && portState(implicit) === 'open';
  const keyword = pair.clear.starttlsKeyword;
  const fix = fixesFor(pair.protocol);
  const evidence = {
    ports: Object.fromEntries(
      [clear, implicit].filter((r) => r !== undefined).map((r) => [r.port, portState(r)]),
    ),
    starttls: clear?.starttls ?? null,
  };
  if (clear && clearOpen && clear.starttls) {
    const { host } = clear;
    const base = { address: clear.address, port: clear.port };
    if (!clear.starttls.offered) {
      out.push({
        ...base,
        verdict: {
          status: 'fail',
          severity: 'high',
          title: `${host}: ${pair.label} on port ${clear.port} offers no ${keyword}`,
          detail: `Everything sent to port ${clear.port} (passwords, messages, mailbox contents) crosses the network in clear text.${
            implicitOpen
              ? ` Port ${pair.implicit.port} offers implicit TLS, but clients configured for port ${clear.port} stay unprotected.`
              : ` No implicit-TLS port ${pair.implicit.port} answers either: there is no encrypted way to use this service.`
          }`,
          remediation: fix.starttls,
          evidence,
        },
      });
    } else if (!clear.starttls.ok) {
      out.push({
        ...base,
        verdict: {
          status: 'error',
          severity: 'high',
          title: `${host}: ${keyword} on port ${clear.port} is advertised but fails`,
          detail: `${keyword} was answered with ${clear.starttls.reply ?? 'no usable reply'}. Clients that insist on TLS cannot connect; others carry on in clear text.`,
          remediation: fix.starttls,
          evidence,
        },
      });
    } else if (implicit && !implicitOpen && portState(implicit) !== 'tls-failed') {
      out.push({
        ...base,
        verdict: {
          status: 'warn',
          severity: 'low',
          title: `${host}: ${pair.label} is offered only with ${keyword} (port ${clear.port}), not over implicit TLS (port ${pair.implicit.port})`,
          detail: `RFC 8314 §3.3 recommends implicit TLS: with ${keyword} the first exchange is in clear, and a client that does not insist on TLS can be downgraded by an attacker who removes ${keyword} from the capability list.`,
          remediation: fix.implicit,
          evidence,
        },
      });
    }
  }
  if (implicit && implicitOpen) {
    out.push({
      address: implicit.address,
      port: implicit.port,
      verdict: {
        status: 'pass',
        title: `${implicit.host} offers ${pair.label} over implicit TLS (port ${pair.implicit.port})`,
        detail: `Clients can use TLS from the first byte (RFC 8314).${
          clearOpen ? ` Port ${pair.clear.port} answers as well; it is judged separately.` : ''
        }`,
        evidence,
      },
    });
  }
  return out;
}
