/**
 * SMTP TLS reporting (RFC 8460 §3): the `_smtp._tls` TXT record that tells senders where to report
 * failures to negotiate an encrypted, authenticated session.
 */
import type { Finding } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import { orgDomain, parseReportUriList, type ReportUri } from './dmarc/uri.js';
import { findSingleTxtRecord } from './single-txt-record.js';
import type { DomainCheck } from './types.js';
import { describeTagProblem, parseTagList, suggestedTtl, zoneTxt, type LookupOutcome } from './tag-list.js';

const CONTROLS = ['transport.tls-reporting'];

/** True when a TXT string is a TLS-RPT record candidate: it starts with `v=TLSRPTv1` (RFC 8460 §3). */
export function isTlsRptRecord(text: string): boolean {
  return /^v=TLSRPTv1[ \t]*(;|$)/.test(text);
}

/** A TLS-RPT record's reporting URIs and what is wrong with it. Never throws. */
export function parseTlsRpt(text: string): { rua: ReportUri[]; problems: string[] } {
  // RFC 8460 §3: tlsrpt-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
  const list = parseTagList(text, { namePattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/ });
  const problems = list.problems.map(describeTagProblem);
  if (list.tags[0]?.name !== 'v' || list.tags[0].value !== 'TLSRPTv1')
    problems.push('the record must start with v=TLSRPTv1');
  const raw = list.map.get('rua');
  if (raw === undefined) return { rua: [], problems: [...problems, 'the required rua= field is missing'] };
  const rua = parseReportUriList(raw, false);
  for (const u of rua) {
    if (u.problem) problems.push(`rua URI "${u.raw}": ${u.problem}`);
    else if (u.scheme !== 'mailto' && u.scheme !== 'https') {
      problems.push(`rua URI "${u.raw}": only mailto: and https: are defined (RFC 8460 §3)`);
    }
  }
  return { rua, problems };
}

/** TLS-RPT checks (`tls-rpt.record`, `tls-rpt.rua`). */
export const tlsRptCheck: DomainCheck = async (ctx) => {
  const name = `_smtp._tls.${ctx.domain}`;
  const example = (lookup: LookupOutcome<'TXT'>): string =>
    zoneTxt(name, `v=TLSRPTv1; rua=mailto:tls-reports@${orgDomain(ctx.domain)}`, suggestedTtl(lookup));
  const found = await findSingleTxtRecord(ctx, {
    id: 'tls-rpt.record',
    name,
    controls: CONTROLS,
    severity: 'low',
    isCandidate: isTlsRptRecord,
    lookupError: { title: 'The TLS reporting record could not be looked up', notAssessed: 'TLS reporting' },
    nullMx: {
      title: 'TLS reporting is not needed: the domain accepts no mail (null MX)',
      detail: `${ctx.domain} publishes a null MX, so no sender attempts TLS with it and there is nothing to report.`,
    },
    // Reporting only tells about failures; the mail itself is no less protected without it.
    absentStatus: 'warn',
    absent: {
      title: 'Failures to encrypt inbound mail are not reported (no TLS-RPT)',
      detail: `There is no TXT record starting with v=TLSRPTv1 at ${name}. Senders that cannot set up TLS with the MX hosts (expired certificate, stripped STARTTLS, MTA-STS mismatch) have nowhere to report it, so such failures go unnoticed.`,
      remediation: example,
    },
    duplicated: {
      title: 'More than one TLS reporting record is published',
      detail: (count) =>
        `${name} has ${count} records starting with v=TLSRPTv1; RFC 8460 §3 tells senders to send no reports then.`,
      remediation: (lookup) => `; keep exactly one record, e.g.\n${example(lookup)}`,
    },
  });
  if (!found.found) return found.findings;
  const { record, lookup, evidence } = found;
  const { rua, problems } = parseTlsRpt(record);
  const out: Finding[] = [
    finding({
      id: 'tls-rpt.record',
      status: 'pass',
      title: 'A TLS reporting record is published',
      detail: `${name} holds one TLS-RPT record.`,
      evidence: { ...evidence, record },
      controls: CONTROLS,
    }),
  ];
  const good = rua.filter((u) => !u.problem && (u.scheme === 'mailto' || u.scheme === 'https'));
  if (problems.length > 0) {
    out.push(
      finding({
        id: 'tls-rpt.rua',
        status: 'fail',
        severity: 'low',
        title: 'The TLS reporting record is malformed',
        detail: `${problems.join('; ')}.${good.length === 0 ? ' No report can be delivered.' : ''}`,
        evidence: { record, rua, problems },
        controls: CONTROLS,
        remediation:
          good.length > 0
            ? zoneTxt(name, `v=TLSRPTv1; rua=${good.map((u) => u.raw).join(',')}`, suggestedTtl(lookup))
            : example(lookup),
      }),
    );
  } else {
    out.push(
      finding({
        id: 'tls-rpt.rua',
        status: 'pass',
        title: 'TLS failure reports have a valid destination',
        detail: `Reports go to ${good.map((u) => `${u.scheme}: ${u.domain ?? ''}`).join(', ')}.`,
        evidence: { record, rua },
        controls: CONTROLS,
      }),
    );
  }
  return out;
};
