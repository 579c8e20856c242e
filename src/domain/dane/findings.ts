/**
 * Verdicts on an MX host's DANE (RFC 7672): are TLSA records published and authenticated, are they
 * usable for SMTP, does the served certificate chain match them, and can the key be rolled over.
 */
import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import type { TlsaData } from '../../dns/types.js';
import type { PeerCertificate } from '../../smtp/types.js';
import { bestMatch, matchTlsa, parameterProblem, usageName, type TlsaMatch } from './match.js';
import { tlsaFromCertificate, tlsaParams, tlsaRecordText, type TlsaLookup } from './tlsa.js';

const CONTROLS = ['transport.dane'];

export interface DaneFindingOptions {
  /** Checks the validity dates of a DANE-TA chain at this time (DANE-EE ignores dates, RFC 7672 §3.1.1). */
  now?: Date;
}

function lookupEvidence(t: TlsaLookup): Record<string, unknown> {
  const ev: Record<string, unknown> = {
    name: t.name,
    type: 'TLSA',
    rcode: t.rcode,
    ad: t.ad,
    records: t.records.map((r) => `${tlsaParams(r)} ${r.data}`),
  };
  if (t.cnames.length > 0) ev.cnames = t.cnames;
  if (t.error) ev.error = t.error;
  return ev;
}

/** The records to publish for the served chain: 3 1 1 for the leaf key, 2 1 1 for its issuer. */
function recordsFor(owner: string, chain: Buffer[]): string[] {
  const out: string[] = [];
  const make = (der: Buffer | undefined, usage: number) => {
    if (!der) return;
    try {
      out.push(tlsaRecordText(owner, tlsaFromCertificate(der, usage, 1, 1)));
    } catch {
      // An unparsable certificate yields no record; the generic advice below still applies.
    }
  };
  make(chain[0], 3);
  make(chain[1], 2);
  return out;
}

function tlsaRemediation(owner: string, chain: Buffer[] | undefined, preface?: string): string {
  const records = chain ? recordsFor(owner, chain) : [];
  const lines = preface ? [preface] : [];
  if (records.length > 0) {
    lines.push(
      'Publish, in the DNSSEC-signed zone, the records computed from the certificate the server presents:',
    );
    lines.push(...records);
    if (records.length > 1) {
      lines.push(
        '; keep both: the 2 1 1 record (the issuing CA key) keeps mail flowing when the server key changes.',
      );
    } else {
      lines.push(
        '; before replacing the server key, publish the new key\u2019s 3 1 1 record too and wait two TTLs.',
      );
    }
  } else {
    lines.push(`Publish ${owner}. IN TLSA 3 1 1 <SHA-256 of the server's public key>, computed with:`);
    lines.push(
      'openssl x509 -in cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256',
    );
  }
  return lines.join('\n');
}

function absentFinding(mx: string, t: TlsaLookup, zoneSigned: boolean, chain: Buffer[] | undefined): Finding {
  const evidence = { lookup: lookupEvidence(t), zoneSigned };
  if (t.ad) {
    return finding({
      id: 'dane.tlsa',
      status: 'warn',
      severity: 'low',
      title: `No DANE for ${mx}`,
      detail: `${t.name} has no TLSA record, and the resolver authenticated that absence (${t.rcode} with AD): the zone is signed, so DANE could be deployed to let senders authenticate this MX without trusting every public CA.`,
      evidence,
      controls: CONTROLS,
      remediation: tlsaRemediation(t.name, chain),
    });
  }
  return finding({
    id: 'dane.tlsa',
    status: 'info',
    title: `Insecure: DANE is impossible for ${mx} without DNSSEC`,
    detail: `${t.name} has no TLSA record and the answer was not authenticated (no AD): ${
      zoneSigned
        ? "the domain's zone is signed, but this MX host's zone is not, so no TLSA record for it could be trusted."
        : 'the zone is not DNSSEC-signed, so senders could not trust a TLSA record even if one were published.'
    }`,
    evidence,
    controls: CONTROLS,
    remediation: tlsaRemediation(t.name, chain, `Sign the zone holding ${mx} with DNSSEC first. Then:`),
  });
}

function usageFinding(mx: string, records: TlsaData[], evidence: unknown): Finding {
  const pkix = records.filter((r) => r.usage === 0 || r.usage === 1);
  const daneUsable = records.filter((r) => r.usage === 2 || r.usage === 3);
  if (pkix.length === 0) {
    return finding({
      id: 'dane.usage',
      status: 'pass',
      title: `The TLSA records of ${mx} use DANE-TA/DANE-EE`,
      detail: 'No record uses the PKIX usages that SMTP senders ignore.',
      evidence,
      controls: CONTROLS,
    });
  }
  const list = pkix.map((r) => `${usageName(r.usage)} ${tlsaParams(r)}`).join(', ');
  const none = daneUsable.length === 0;
  return finding({
    id: 'dane.usage',
    status: none ? 'fail' : 'warn',
    severity: none ? 'medium' : 'low',
    title: none
      ? `No TLSA record of ${mx} is usable for SMTP`
      : `Some TLSA records of ${mx} are unusable for SMTP`,
    detail: `${list}: RFC 7672 §3.1.3 tells SMTP senders to ignore PKIX-TA(0) and PKIX-EE(1) records${
      none ? ', so senders treat the MX as having no usable TLSA record and do not authenticate it' : ''
    }. Use DANE-EE(3) or DANE-TA(2) instead.`,
    evidence,
    controls: CONTROLS,
  });
}

function parametersFinding(mx: string, records: TlsaData[], evidence: unknown): Finding {
  const bad = records
    .map((r) => ({ r, problem: parameterProblem(r) }))
    .filter((x): x is { r: TlsaData; problem: string } => x.problem !== undefined);
  if (bad.length === 0) {
    return finding({
      id: 'dane.parameters',
      status: 'pass',
      title: `The TLSA parameters of ${mx} are valid`,
      detail: 'Every record has a defined selector and matching type with data of the right length.',
      evidence,
      controls: CONTROLS,
    });
  }
  return finding({
    id: 'dane.parameters',
    status: 'fail',
    severity: 'medium',
    title: `Some TLSA records of ${mx} are malformed`,
    detail: `${bad.map((b) => `${tlsaParams(b.r)}: ${b.problem}`).join('; ')}. Senders ignore such records.`,
    evidence,
    controls: CONTROLS,
  });
}

function matchFinding(
  mx: string,
  t: TlsaLookup,
  matches: TlsaMatch[] | undefined,
  chain: Buffer[] | undefined,
  evidence: Record<string, unknown>,
): Finding | undefined {
  if (!t.records.some((r) => parameterProblem(r) === undefined && (r.usage === 2 || r.usage === 3)))
    return undefined;
  if (!matches || !chain || chain.length === 0) {
    return finding({
      id: 'dane.match',
      status: 'error',
      severity: 'medium',
      title: `The certificate of ${mx} could not be matched against its TLSA records`,
      detail:
        'No certificate chain was obtained from the MX (no STARTTLS session), so the TLSA records were not verified.',
      evidence,
      controls: CONTROLS,
    });
  }
  const best = bestMatch(matches);
  const ev = { ...evidence, matches: matches.map(({ data: _data, ...m }) => m) };
  if (best) {
    return finding({
      id: 'dane.match',
      status: 'pass',
      title: `The certificate of ${mx} matches its TLSA records`,
      detail: `The served chain satisfies ${usageName(best.usage)} ${tlsaParams(best)} (${best.reason}).`,
      evidence: ev,
      controls: CONTROLS,
    });
  }
  return finding({
    id: 'dane.match',
    status: 'fail',
    severity: t.ad ? 'critical' : 'medium',
    title: `The certificate of ${mx} matches none of its TLSA records`,
    detail: `${matches.map((m) => m.reason).join('; ')}. ${
      t.ad
        ? 'DANE-validating senders will refuse to deliver mail to this MX (RFC 7672 §2.2) until the records or the certificate are fixed.'
        : 'Senders ignore the records today because they are not authenticated, but delivery will fail once the zone is signed.'
    }`,
    evidence: ev,
    controls: CONTROLS,
    remediation: tlsaRemediation(
      t.name,
      chain,
      'Replace the TLSA records (or restore the certificate they pin).',
    ),
  });
}

function rolloverFinding(
  mx: string,
  t: TlsaLookup,
  chain: Buffer[] | undefined,
  evidence: unknown,
): Finding | undefined {
  const usable = t.records.filter(
    (r) => parameterProblem(r) === undefined && (r.usage === 2 || r.usage === 3),
  );
  if (usable.length === 0) return undefined;
  const params = usable.map(tlsaParams);
  if (usable.length >= 2) {
    const recommended = params.includes('3 1 1') && params.includes('2 1 1');
    return finding({
      id: 'dane.rollover',
      status: 'pass',
      title: `The TLSA records of ${mx} allow a key rollover`,
      detail: `${usable.length} usable records (${params.join(', ')})${
        recommended ? ', the recommended 3 1 1 + 2 1 1 pair' : ''
      }: one can be replaced while the other keeps matching.`,
      evidence,
      controls: CONTROLS,
    });
  }
  return finding({
    id: 'dane.rollover',
    status: 'warn',
    severity: 'low',
    title: `The TLSA record of ${mx} is not rollover-safe`,
    detail: `Only one usable record (${params[0]}) is published: when the certificate or key changes before a new record has propagated, DANE senders stop delivering. Publish 3 1 1 + 2 1 1, or the next key's record ahead of the change.`,
    evidence,
    controls: CONTROLS,
    remediation: tlsaRemediation(t.name, chain),
  });
}

/**
 * Findings `dane.*` for one MX host: its TLSA lookup, the chain the SMTP probe saw (if any) and whether
 * the domain's zone is signed. Only `dane.tlsa` is given when there are no records or the lookup failed.
 */
export function daneFindings(
  mx: string,
  tlsa: TlsaLookup,
  probeChain: PeerCertificate[] | undefined,
  zoneSigned: boolean,
  o: DaneFindingOptions = {},
): Finding[] {
  const chain = probeChain?.map((c) => Buffer.from(c.der, 'base64'));
  const evidence = { lookup: lookupEvidence(tlsa), zoneSigned };
  if (tlsa.error) {
    return [
      finding({
        id: 'dane.tlsa',
        status: 'error',
        severity: zoneSigned ? 'high' : 'medium',
        title: `The TLSA lookup for ${mx} failed`,
        detail: `${tlsa.name} could not be resolved (${tlsa.error}).${
          zoneSigned
            ? ' In a signed zone, DANE senders treat a failed TLSA lookup as a reason to defer mail to this MX (RFC 7672 §2.2).'
            : ''
        }`,
        evidence,
        controls: CONTROLS,
      }),
    ];
  }
  if (tlsa.records.length === 0) return [absentFinding(mx, tlsa, zoneSigned, chain)];

  const out: Finding[] = [];
  if (tlsa.ad) {
    out.push(
      finding({
        id: 'dane.tlsa',
        status: 'pass',
        title: `${mx} publishes authenticated TLSA records`,
        detail: `${tlsa.name} has ${tlsa.records.length} TLSA record(s), DNSSEC-authenticated (AD).`,
        evidence,
        controls: CONTROLS,
      }),
      finding({
        id: 'dane.unsigned',
        status: 'pass',
        title: `The TLSA records of ${mx} are DNSSEC-signed`,
        detail: 'Senders can trust them.',
        evidence,
        controls: CONTROLS,
      }),
    );
  } else {
    out.push(
      finding({
        id: 'dane.tlsa',
        status: 'info',
        title: `${mx} publishes TLSA records, but they are not authenticated`,
        detail: `${tlsa.name} has ${tlsa.records.length} TLSA record(s) without DNSSEC authentication; see dane.unsigned.`,
        evidence,
        controls: CONTROLS,
      }),
      finding({
        id: 'dane.unsigned',
        status: 'fail',
        severity: 'medium',
        title: `The TLSA records of ${mx} are not DNSSEC-signed, so senders ignore them`,
        detail: `The answer for ${tlsa.name} was not authenticated (no AD). RFC 7672 §2.2 tells senders to use only validated TLSA records: without DNSSEC these records give no protection.`,
        evidence,
        controls: CONTROLS,
        remediation: `Sign the zone holding ${mx} with DNSSEC and publish its DS record at the parent; the TLSA records can stay as they are once they match.`,
      }),
    );
  }
  out.push(usageFinding(mx, tlsa.records, evidence), parametersFinding(mx, tlsa.records, evidence));
  const matches = chain
    ? matchTlsa(tlsa.records, chain, o.now ? { names: [mx], now: o.now } : { names: [mx] })
    : undefined;
  const match = matchFinding(mx, tlsa, matches, chain, evidence);
  if (match) out.push(match);
  const rollover = rolloverFinding(mx, tlsa, chain, evidence);
  if (rollover) out.push(rollover);
  return out;
}
