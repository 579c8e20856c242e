/**
 * DNSSEC status of the domain and its MX hosts, read from the AD bit of the configured resolver.
 */
import type { Finding } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import { lookupMx, type MxHost } from './mx.js';
import { absolute, lookupEvidence } from './tag-list.js';
import type { DomainCheck } from './types.js';

const CONTROLS = ['transport.dnssec'];

const TRUST_NOTE =
  'This verdict relies on the AD (authenticated data) bit set by the configured resolver: it means something only if that resolver validates DNSSEC and the path to it is trusted (a local validating resolver, or an encrypted link to one); an AD bit from a non-validating or untrusted resolver proves nothing.';

/** `dnssec.domain` and `dnssec.mx`: whether the domain's and MX hosts' answers were authenticated. */
export const dnssecCheck: DomainCheck = async (ctx) => {
  const lk = await lookupMx(ctx);
  const mxEv = lookupEvidence(lk.mx);
  if (!lk.mx.ok) {
    return [
      finding({
        id: 'dnssec.domain',
        status: 'error',
        severity: 'medium',
        title: 'DNSSEC status could not be determined',
        detail: `The MX query for ${ctx.domain} could not be completed (${lk.mx.reason}).`,
        evidence: { mx: mxEv },
        controls: CONTROLS,
      }),
    ];
  }
  const out: Finding[] = [];
  // The AD bit covers negative answers too (authenticated denial), so NODATA and NXDOMAIN count.
  if (lk.mx.result.ad) {
    out.push(
      finding({
        id: 'dnssec.domain',
        status: 'pass',
        title: 'The domain\u2019s DNS answers are DNSSEC-validated',
        detail: `The MX answer for ${ctx.domain} came back authenticated, so the mail records cannot be forged on the way to a validating sender. ${TRUST_NOTE}`,
        evidence: { mx: mxEv },
        controls: CONTROLS,
      }),
    );
  } else {
    out.push(
      finding({
        id: 'dnssec.domain',
        status: 'warn',
        severity: 'medium',
        title: 'The domain is not DNSSEC-signed',
        detail: `The MX answer for ${ctx.domain} was not authenticated. Its MX, SPF, DMARC and MTA-STS records can be forged in transit, redirecting mail to an attacker, and DANE (certificate pinning for SMTP) is impossible. ${TRUST_NOTE}`,
        evidence: { mx: mxEv },
        controls: CONTROLS,
        remediation: [
          `; enable DNSSEC signing at the DNS host of ${ctx.domain}, then publish the DS record it gives you at the registrar:`,
          `${absolute(ctx.domain)} 3600 IN DS <key tag> <algorithm, e.g. 13> 2 <SHA-256 digest of the KSK>`,
        ].join('\n'),
      }),
    );
  }
  const mxFinding = hostsFinding(lk.hosts);
  if (mxFinding) out.push(mxFinding);
  return out;
};

type HostState = 'signed' | 'unsigned' | 'error' | 'not-checked';

function hostState(h: MxHost): HostState {
  if (h.ipLiteral || !h.a || !h.aaaa) return 'not-checked';
  const answered = [h.a, h.aaaa].filter((o) => o.ok);
  if (answered.length < 2) return 'error';
  return answered.every((o) => o.ok && o.result.ad) ? 'signed' : 'unsigned';
}

function hostsFinding(all: MxHost[]): Finding | undefined {
  const hosts = [...new Map(all.map((h) => [h.exchange, h])).values()];
  if (hosts.length === 0) return undefined;
  const states = hosts.map((h) => ({ host: h.exchange, state: hostState(h) }));
  const evidence = {
    hosts: hosts.map((h) => ({
      exchange: absolute(h.exchange),
      state: hostState(h),
      ...(h.a ? { a: lookupEvidence(h.a) } : {}),
      ...(h.aaaa ? { aaaa: lookupEvidence(h.aaaa) } : {}),
    })),
  };
  const pick = (s: HostState): string[] => states.filter((x) => x.state === s).map((x) => x.host);
  const unsigned = pick('unsigned');
  const errors = pick('error');
  const notChecked = pick('not-checked');
  const tail =
    (errors.length > 0 ? ` Lookups failed for ${errors.join(', ')}.` : '') +
    (notChecked.length > 0 ? ` Not checked: ${notChecked.join(', ')}.` : '');
  if (unsigned.length > 0) {
    return finding({
      id: 'dnssec.mx',
      status: 'warn',
      severity: 'medium',
      title: 'Some MX hosts are not DNSSEC-signed',
      detail: `The address answers of ${unsigned.join(', ')} were not authenticated: a sender cannot be sure it connects to the real host, and DANE TLSA records for these hosts would not be trusted.${tail} ${TRUST_NOTE}`,
      evidence,
      controls: CONTROLS,
      remediation: `; sign the zone(s) holding ${unsigned.map(absolute).join(', ')}, or, for a provider's hosts, ask the provider or choose one whose MX zone is signed`,
    });
  }
  if (errors.length > 0 || pick('signed').length === 0) {
    return finding({
      id: 'dnssec.mx',
      status: 'error',
      severity: 'low',
      title: 'DNSSEC status of the MX hosts could not be determined',
      detail: `The DNSSEC status of some MX hosts is unknown.${tail}`,
      evidence,
      controls: CONTROLS,
    });
  }
  return finding({
    id: 'dnssec.mx',
    status: 'pass',
    title: 'MX host addresses are DNSSEC-validated',
    detail: `The A and AAAA answers of every MX host were authenticated.${tail} ${TRUST_NOTE}`,
    evidence,
    controls: CONTROLS,
  });
}
