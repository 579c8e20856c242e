/**
 * Findings from the SMTP probes of one MX host: reachability, STARTTLS, TLS, certificate,
 * disclosure (banner, VRFY/EXPN), IPv6 and, when tested, open relay.
 */
import { isIP } from 'node:net';
import type { Finding } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import { bannerVerdict, relayVerdict, vrfyVerdict } from './findings-disclosure.js';
import { acceptedLegacy, certificateVerdict, tlsCipherVerdict, tlsVersionVerdict } from './findings-tls.js';
import type { SmtpProbeResult } from './types.js';
import { bannerLines, capitalise, exchanges, mergeVerdicts, type Verdict } from './verdict.js';

const TRANSPORT = ['transport.starttls'];
const DISCLOSURE = ['minimisation.smtp-disclosure'];
const ACCESS = ['access.admin'];

const STARTTLS_FIX =
  'Postfix: smtpd_tls_security_level = may with smtpd_tls_chain_files = /etc/ssl/private/mx.key, /etc/ssl/certs/mx-fullchain.pem; Exim: tls_advertise_hosts = * with tls_certificate and tls_privatekey set.';

/** The MX host probed: its name and every address that was (or should have been) probed. */
export interface MxTarget {
  host: string;
  addresses: string[];
}

/** Every `smtp.*` finding for one MX host from the probes of its addresses. */
export function smtpFindings(mx: MxTarget, results: SmtpProbeResult[], o: { clock: () => Date }): Finding[] {
  if (results.length === 0) {
    return [
      finding({
        id: 'smtp.connect',
        status: 'error',
        severity: 'medium',
        title: `${mx.host} was not probed`,
        detail:
          mx.addresses.length === 0
            ? 'The MX host has no address to connect to, so STARTTLS and the certificate could not be checked.'
            : 'No probe result is available for this MX host, so STARTTLS and the certificate were not checked.',
        evidence: { host: mx.host, addresses: mx.addresses },
        controls: TRANSPORT,
      }),
    ];
  }
  const now = o.clock();
  const greeted = results.filter((r) => r.banner?.code === 220);
  const merge = (
    id: string,
    controls: string[],
    list: SmtpProbeResult[],
    ev: (r: SmtpProbeResult) => Verdict | undefined,
  ) => mergeVerdicts(id, controls, mx.host, list, ev);
  return [
    ...merge('smtp.connect', TRANSPORT, results, connectVerdict),
    ...merge('smtp.starttls', TRANSPORT, greeted, starttlsVerdict),
    ...merge('smtp.tls-version', TRANSPORT, greeted, tlsVersionVerdict),
    ...merge('smtp.tls-cipher', TRANSPORT, greeted, tlsCipherVerdict),
    ...merge('smtp.certificate', TRANSPORT, greeted, (r) => certificateVerdict(r, now)),
    ...merge('smtp.banner', DISCLOSURE, greeted, bannerVerdict),
    ...merge('smtp.vrfy', DISCLOSURE, greeted, vrfyVerdict),
    ...merge('smtp.relay', ACCESS, greeted, relayVerdict),
    ipv6Finding(mx, results),
  ];
}

const CONNECT_WHY: Record<string, string> = {
  refused: 'the connection was refused: nothing listens on port 25 there, or a firewall rejects it',
  timeout: 'the connection attempt got no answer in time: a firewall dropping port 25, or the host is down',
  unreachable: 'the address could not be reached from the scanning host (no route)',
  reset: 'the connection was reset during setup',
  aborted: 'the scan was stopped before the connection completed',
};

function connectVerdict(r: SmtpProbeResult): Verdict {
  const evidence = {
    connect: r.connect,
    banner: r.banner ?? null,
    error: r.error ?? null,
    transcript: bannerLines(r),
  };
  const untested =
    'STARTTLS and the certificate were not assessed at this address; this is not evidence that they are missing.';
  if (!r.connect.ok) {
    const reason = r.connect.reason ?? 'unreachable';
    return {
      status: 'error',
      severity: 'medium',
      title: `${r.host} could not be reached on port ${r.port} (${reason})`,
      detail: `${capitalise(CONNECT_WHY[reason] ?? reason)}. ${untested}`,
      remediation:
        'Make sure every MX host accepts SMTP on port 25 from the internet, or remove it from the MX records.',
      evidence,
    };
  }
  if (!r.banner) {
    return {
      status: 'error',
      severity: 'medium',
      title: `${r.host} accepted the connection but sent no SMTP greeting`,
      detail: `The greeting failed: ${r.error?.reason ?? 'unknown reason'}. A stalled or garbled greeting is typical of a tarpit or a service that is not SMTP. ${untested}`,
      evidence,
    };
  }
  if (r.banner.code !== 220) {
    const temporary = r.banner.code < 500;
    return {
      status: 'error',
      severity: 'medium',
      title: `${r.host} ${temporary ? 'temporarily refused' : 'refused'} the session (${r.banner.code} greeting)`,
      detail: `${temporary ? 'A 4xx greeting usually means greylisting, a tarpit or overload; senders retry later.' : 'A 5xx greeting refuses service to this client (often a block list entry for the scanning host).'} ${untested}`,
      evidence,
    };
  }
  return {
    status: 'pass',
    title: `${r.host} accepts SMTP connections`,
    detail: 'The server accepted the connection on port 25 and greeted with 220.',
    evidence,
  };
}

function starttlsVerdict(r: SmtpProbeResult): Verdict | undefined {
  const evidence = {
    ehlo: r.ehlo ?? null,
    starttls: r.starttls ?? null,
    error: r.error ?? null,
    transcript: exchanges(r, ['EHLO', 'HELO', 'STARTTLS']),
  };
  if (!r.ehlo) {
    return {
      status: 'error',
      severity: 'medium',
      title: `${r.host} did not complete EHLO`,
      detail: `The session ended before STARTTLS could be checked: ${r.error?.reason ?? 'unknown reason'}.`,
      evidence,
    };
  }
  if (!r.starttls?.offered) {
    return {
      status: 'fail',
      severity: 'high',
      title: `${r.host} does not offer STARTTLS`,
      detail: r.ehlo.helo
        ? 'The server rejected EHLO and only speaks plain SMTP (HELO), so it cannot offer STARTTLS: mail to it crosses the network in clear text.'
        : 'STARTTLS is not among the EHLO extensions: mail to this server crosses the network in clear text, readable by anyone on the path.',
      remediation: STARTTLS_FIX,
      evidence,
    };
  }
  if (!r.starttls.ok) {
    return {
      status: 'error',
      severity: 'high',
      title: `${r.host} advertises STARTTLS but it fails (${r.starttls.code ?? 'no reply'})`,
      detail: `STARTTLS was answered with ${r.starttls.error ?? r.error?.reason ?? 'no usable reply'}. Most senders then deliver in clear text.`,
      remediation: STARTTLS_FIX,
      evidence,
    };
  }
  if (!r.tls) {
    const legacy = acceptedLegacy(r);
    if (legacy.length > 0) {
      return {
        status: 'fail',
        severity: 'high',
        title: `${r.host} completes STARTTLS only with obsolete TLS`,
        detail: `The handshake with TLS 1.2 or later failed (${r.error?.reason ?? 'unknown reason'}); only ${legacy.join(' and ')} worked.`,
        remediation: STARTTLS_FIX,
        evidence,
      };
    }
    return {
      status: 'error',
      severity: 'high',
      title: `${r.host} accepted STARTTLS but the TLS handshake failed`,
      detail: `${capitalise(r.error?.reason ?? 'unknown reason')}. Most senders then deliver in clear text.`,
      remediation: STARTTLS_FIX,
      evidence,
    };
  }
  return {
    status: 'pass',
    title: `${r.host} offers STARTTLS and it works`,
    detail: `STARTTLS was advertised and the handshake completed with ${r.tls.protocol}.`,
    evidence,
  };
}

function ipv6Finding(mx: MxTarget, results: readonly SmtpProbeResult[]): Finding {
  const v6 = mx.addresses.filter((a) => isIP(a) === 6);
  const probed = results.filter((r) => r.family === 6);
  const evidence = {
    host: mx.host,
    ipv6Addresses: v6,
    probes: probed.map((r) => ({ address: r.address, connect: r.connect, banner: r.banner?.code ?? null })),
  };
  const base = { id: 'smtp.ipv6', controls: TRANSPORT, evidence };
  if (v6.length === 0) {
    return finding({
      ...base,
      status: 'info',
      title: `${mx.host} has no IPv6 address`,
      detail: 'No AAAA record: senders reach this MX over IPv4 only.',
    });
  }
  if (probed.some((r) => r.banner?.code === 220)) {
    return finding({
      ...base,
      status: 'pass',
      title: `${mx.host} is reachable over IPv6`,
      detail: `The server answered SMTP on ${probed
        .filter((r) => r.banner?.code === 220)
        .map((r) => r.address)
        .join(', ')}.`,
    });
  }
  if (
    probed.length === 0 ||
    probed.every((r) => r.connect.reason === 'unreachable' || r.connect.reason === 'aborted')
  ) {
    return finding({
      ...base,
      status: 'error',
      severity: 'low',
      title: `${mx.host}: IPv6 reachability could not be tested`,
      detail:
        'The AAAA addresses were not probed or could not be routed from the scanning host, which may lack IPv6.',
    });
  }
  return finding({
    ...base,
    status: 'fail',
    severity: 'low',
    title: `${mx.host} publishes IPv6 addresses that do not answer SMTP`,
    detail: 'Senders connecting over IPv6 fail first and must fall back to IPv4 (if they do), delaying mail.',
    remediation:
      'Make the server listen on its IPv6 addresses (Postfix: inet_protocols = all) or remove the AAAA records.',
  });
}
