/**
 * DMARC reporting findings: aggregate reports (rua), authorisation of external destinations
 * (RFC 7489 §7.1) and forensic reports (ruf), which carry personal data.
 */
import type { Finding } from '../../core/finding.js';
import { DMARC_MAX_EXTERNAL_DESTINATIONS } from '../../core/limits.js';
import { finding } from '../../core/make-finding.js';
import { dnsLookup, lookupEvidence, txtTexts, zoneTxt } from '../tag-list.js';
import { DMARC_CONTROLS as CONTROLS, defaultRua, dmarcFix, type DmarcFacts } from './discover.js';
import { isDmarcRecord } from './parse.js';
import { orgDomain, type ReportUri } from './uri.js';

const RUF_CONTROLS = ['minimisation.forensic-reports'];

function formatSize(u: ReportUri): string {
  return u.maxSize ? ` (at most ${u.maxSize.value}${u.maxSize.unit.toUpperCase() || ' bytes'})` : '';
}

/** `dmarc.rua`: whether aggregate reports are requested, to well-formed addresses. */
export function ruaFinding(f: DmarcFacts): Finding {
  const { rec, discovery: d } = f;
  const uris = rec.rua;
  const evidence = { ...f.evidence, rua: uris };
  const bad = uris.filter((u) => u.problem);
  const good = uris.filter((u) => !u.problem);
  if (uris.length === 0) {
    return finding({
      id: 'dmarc.rua',
      status: 'warn',
      severity: 'medium',
      title: 'No DMARC aggregate reports are requested',
      detail:
        'Without rua=, nobody learns who sends mail in the domain\u2019s name: forgery attempts and misconfigured legitimate senders go unnoticed, and moving to an enforcing policy is guesswork.',
      evidence,
      controls: CONTROLS,
      remediation: dmarcFix(f, { rua: defaultRua(d) }),
    });
  }
  if (bad.length > 0) {
    return finding({
      id: 'dmarc.rua',
      status: 'fail',
      severity: 'medium',
      title: 'Some DMARC aggregate report addresses are malformed',
      detail: `${bad.map((u) => `"${u.raw}": ${u.problem}`).join('; ')}. Receivers skip malformed URIs${good.length === 0 ? ', so no aggregate report is delivered' : ''}.`,
      evidence,
      controls: CONTROLS,
      remediation: dmarcFix(f, { rua: good.length > 0 ? good.map((u) => u.raw).join(',') : defaultRua(d) }),
    });
  }
  const other = good.filter((u) => u.scheme !== 'mailto');
  if (other.length > 0) {
    return finding({
      id: 'dmarc.rua',
      status: 'warn',
      severity: 'low',
      title: 'Some DMARC aggregate report URIs are not mailto:',
      detail: `${other.map((u) => u.uri).join(', ')}: receivers are only required to support mailto: (RFC 7489 §6.2), so most will not deliver to these.`,
      evidence,
      controls: CONTROLS,
      remediation: dmarcFix(f, {
        rua: [...good.filter((u) => u.scheme === 'mailto').map((u) => u.raw), defaultRua(d)]
          .filter((v, i, a) => a.indexOf(v) === i)
          .join(','),
      }),
    });
  }
  return finding({
    id: 'dmarc.rua',
    status: 'pass',
    title: 'DMARC aggregate reports are requested',
    detail: `Aggregate reports go to ${good.map((u) => `${u.domain ?? u.uri}${formatSize(u)}`).join(', ')}.`,
    evidence,
    controls: CONTROLS,
  });
}

/**
 * `dmarc.external-report-auth`: every report destination outside the organisational domain must publish
 * `<policy domain>._report._dmarc.<destination>` (RFC 7489 §7.1), or receivers drop those reports.
 * Returns no finding when no well-formed mailto: destination exists.
 */
export async function externalAuthFindings(f: DmarcFacts): Promise<Finding[]> {
  const { discovery: d } = f;
  const mailtos = [...f.rec.rua, ...f.rec.ruf].filter((u) => !u.problem && u.scheme === 'mailto' && u.domain);
  if (mailtos.length === 0) return [];
  const policyOrg = orgDomain(d.policyDomain);
  const external = [...new Set(mailtos.map((u) => u.domain as string))].filter(
    (dest) => orgDomain(dest) !== policyOrg,
  );
  if (external.length === 0) {
    return [
      finding({
        id: 'dmarc.external-report-auth',
        status: 'pass',
        title: 'DMARC reports stay within the organisation',
        detail: `Every report destination is under ${policyOrg}, so no external authorisation record is needed.`,
        evidence: f.evidence,
        controls: CONTROLS,
      }),
    ];
  }
  const checked = external.slice(0, DMARC_MAX_EXTERNAL_DESTINATIONS);
  const results = await Promise.all(
    checked.map(async (dest) => {
      const name = `${d.policyDomain}._report._dmarc.${dest}`;
      const o = await dnsLookup(f.ctx, name, 'TXT');
      const state = !o.ok ? 'error' : txtTexts(o.result).some(isDmarcRecord) ? 'authorised' : 'missing';
      return { dest, name, state, lookup: lookupEvidence(o) };
    }),
  );
  const missing = results.filter((r) => r.state === 'missing');
  const errors = results.filter((r) => r.state === 'error');
  const skipped = external.length - checked.length;
  const evidence = { ...f.evidence, destinations: results, notChecked: external.slice(checked.length) };
  const tail =
    (errors.length > 0 ? ` The lookup failed for ${errors.map((r) => r.dest).join(', ')}.` : '') +
    (skipped > 0 ? ` ${skipped} further destination(s) were not checked.` : '');
  if (missing.length > 0) {
    return [
      finding({
        id: 'dmarc.external-report-auth',
        status: 'warn',
        severity: 'medium',
        title: 'External DMARC report destinations have not authorised the reports',
        detail: `No ${d.policyDomain}._report._dmarc record is published by ${missing.map((r) => r.dest).join(', ')}, so receivers drop the reports meant for them (RFC 7489 §7.1).${tail}`,
        evidence,
        controls: CONTROLS,
        remediation: missing
          .map((r) => `; to be published by the operator of ${r.dest}:\n${zoneTxt(r.name, 'v=DMARC1')}`)
          .join('\n'),
      }),
    ];
  }
  if (errors.length > 0) {
    return [
      finding({
        id: 'dmarc.external-report-auth',
        status: 'error',
        severity: 'low',
        title: 'External DMARC report authorisation could not be verified',
        detail: `The authorisation records could not be looked up.${tail}`,
        evidence,
        controls: CONTROLS,
      }),
    ];
  }
  return [
    finding({
      id: 'dmarc.external-report-auth',
      status: 'pass',
      title: 'External DMARC report destinations have authorised the reports',
      detail: `The authorisation record of RFC 7489 §7.1 is published by ${results.map((r) => r.dest).join(', ')}.${tail}`,
      evidence,
      controls: CONTROLS,
    }),
  ];
}

/** `dmarc.ruf`: forensic reports send copies of failing messages, personal data included, to their destination. */
export function rufFinding(f: DmarcFacts): Finding {
  const { rec, discovery: d } = f;
  const good = rec.ruf.filter((u) => !u.problem);
  const evidence = {
    ...f.evidence,
    ruf: rec.ruf.map((u) => ({ scheme: u.scheme, domain: u.domain, problem: u.problem })),
  };
  if (good.length === 0) {
    return finding({
      id: 'dmarc.ruf',
      status: 'pass',
      title: 'No DMARC forensic reports are requested',
      detail:
        rec.ruf.length === 0
          ? 'There is no ruf= tag, so no copies of failing messages are sent anywhere.'
          : 'The ruf= tag holds no usable destination, so no copies of failing messages are sent.',
      evidence,
      controls: RUF_CONTROLS,
    });
  }
  const org = orgDomain(d.domain);
  const receivers = [...new Set(good.map((u) => (u.domain ? orgDomain(u.domain) : u.scheme)))];
  const thirdParty = receivers.filter((r) => r !== org);
  const base =
    'Forensic (failure) reports contain the headers, and sometimes the body, of real messages that failed DMARC: the addresses, subjects and content of the people who wrote them.';
  return finding({
    id: 'dmarc.ruf',
    status: 'warn',
    severity: thirdParty.length > 0 ? 'high' : 'medium',
    title:
      thirdParty.length > 0
        ? 'DMARC forensic reports send personal data to a third party'
        : 'DMARC forensic reports collect personal data',
    detail:
      thirdParty.length > 0
        ? `${base} They go to ${thirdParty.join(', ')}, outside ${org}: that organisation processes this personal data and needs a data processing agreement (Art. 28), and a transfer basis if it is outside the EEA (Art. 44). Aggregate reports (rua) carry no message content and are usually enough.`
        : `${base} They go to ${receivers.join(', ')}; keep them only as long as needed and restrict who reads them, or drop ruf= and rely on aggregate reports (rua), which carry no message content.`,
    evidence,
    controls: RUF_CONTROLS,
    remediation: dmarcFix(f, { ruf: undefined, fo: undefined }),
  });
}
