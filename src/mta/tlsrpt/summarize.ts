/**
 * Summarises TLS reports the way an administrator reads them: per policy domain, how many sessions
 * senders managed with TLS and how many failed, by reporting organisation and by failure type, and
 * turns the failures into `tlsrpt.*` findings (transport encryption, Art. 32: mail that could not be
 * delivered over verified TLS was either delayed or, without a policy, sent in the clear).
 */
import type { Finding, Severity } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import type { LoadedReport, ReadProblem } from './read.js';

/** Sessions of one failure type, reported by one organisation for one policy. */
export interface FailureRow {
  organization: string;
  policyType: string;
  policyDomain: string;
  resultType: string;
  sessions: number;
  /** Receiving MX hosts named in the failure details (sorted, unique). */
  mxHosts: string[];
  /** `failure-reason-code` texts seen (unique, at most a few). */
  reasons: string[];
}

/** Totals for one policy (type and domain) across every report read. */
export interface PolicySummary {
  policyType: string;
  policyDomain: string;
  successfulSessions: number;
  failedSessions: number;
  organizations: string[];
  reports: number;
}

/** Everything the reports say, summed. */
export interface TlsRptSummary {
  reports: number;
  /** Earliest start and latest end of the reporting periods. */
  period: { start?: string; end?: string };
  policies: PolicySummary[];
  failures: FailureRow[];
}

const MAX_REASONS = 5;

/** Failure categories of RFC 8460 §4.3 result types, each with its own finding. */
const CATEGORIES: { id: string; types: string[]; what: string; controls: string[]; fix: string }[] = [
  {
    id: 'tlsrpt.starttls',
    types: ['starttls-not-supported'],
    what: 'could not start TLS (STARTTLS not offered or failed)',
    controls: ['transport.starttls'],
    fix: 'Make every MX host offer STARTTLS (Postfix: smtpd_tls_security_level = may with smtpd_tls_chain_files set).',
  },
  {
    id: 'tlsrpt.certificate',
    types: [
      'certificate-host-mismatch',
      'certificate-expired',
      'certificate-not-trusted',
      'validation-failure',
    ],
    what: 'rejected the MX certificate (wrong name, expired, untrusted or otherwise invalid)',
    controls: ['transport.starttls', 'transport.mta-sts'],
    fix: 'Serve a certificate from a public CA that names each MX host and renew it automatically; check with `mailcomply scan DOMAIN`.',
  },
  {
    id: 'tlsrpt.dane',
    types: ['tlsa-invalid', 'dnssec-invalid', 'dane-required'],
    what: 'found the DANE TLSA records or their DNSSEC signatures unusable',
    controls: ['transport.dane', 'transport.dnssec'],
    fix: 'Publish TLSA records that match the served certificate (roll them before the key changes) and keep the zone signatures valid.',
  },
  {
    id: 'tlsrpt.policy-fetch',
    types: ['sts-policy-fetch-error', 'sts-policy-invalid', 'sts-webpki-invalid'],
    what: 'could not fetch or validate the MTA-STS policy',
    controls: ['transport.mta-sts'],
    fix: 'Serve https://mta-sts.DOMAIN/.well-known/mta-sts.txt as text/plain with a valid certificate for mta-sts.DOMAIN and a valid policy.',
  },
];
const OTHER = {
  id: 'tlsrpt.other-failure',
  what: 'reported other TLS failures',
  controls: ['transport.starttls'],
  fix: 'Read the failure-reason-code values in the reports and the MX logs for the same period.',
};

function categoryOf(resultType: string) {
  return CATEGORIES.find((c) => c.types.includes(resultType)) ?? { ...OTHER, types: [] };
}

/** Sums reports by policy and by (organisation, policy, failure type). */
export function summarizeTlsReports(reports: readonly LoadedReport[]): TlsRptSummary {
  const policies = new Map<string, PolicySummary & { orgs: Set<string> }>();
  const rows = new Map<string, FailureRow & { mx: Set<string>; why: Set<string> }>();
  const period: TlsRptSummary['period'] = {};
  for (const { report } of reports) {
    if (report.start && (!period.start || report.start < period.start)) period.start = report.start;
    if (report.end && (!period.end || report.end > period.end)) period.end = report.end;
    for (const p of report.policies) {
      const pk = `${p.type}\u0000${p.domain}`;
      let ps = policies.get(pk);
      if (!ps) {
        ps = {
          policyType: p.type,
          policyDomain: p.domain,
          successfulSessions: 0,
          failedSessions: 0,
          organizations: [],
          reports: 0,
          orgs: new Set(),
        };
        policies.set(pk, ps);
      }
      ps.successfulSessions += p.successfulSessions;
      ps.failedSessions += p.failedSessions;
      ps.reports++;
      ps.orgs.add(report.organization);
      for (const f of p.failures) {
        const rk = `${report.organization}\u0000${pk}\u0000${f.resultType}`;
        let row = rows.get(rk);
        if (!row) {
          row = {
            organization: report.organization,
            policyType: p.type,
            policyDomain: p.domain,
            resultType: f.resultType,
            sessions: 0,
            mxHosts: [],
            reasons: [],
            mx: new Set(),
            why: new Set(),
          };
          rows.set(rk, row);
        }
        row.sessions += f.failedSessions;
        if (f.receivingMxHostname) row.mx.add(f.receivingMxHostname.toLowerCase());
        if (f.failureReasonCode && row.why.size < MAX_REASONS) row.why.add(f.failureReasonCode);
      }
    }
  }
  const byKey =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a).localeCompare(key(b));
  return {
    reports: reports.length,
    period,
    policies: [...policies.values()]
      .map(({ orgs, ...p }) => ({ ...p, organizations: [...orgs].sort() }))
      .sort(byKey((p) => `${p.policyDomain} ${p.policyType}`)),
    failures: [...rows.values()]
      .map(({ mx, why, ...r }) => ({ ...r, mxHosts: [...mx].sort(), reasons: [...why] }))
      .sort((a, b) => b.sessions - a.sessions || a.organization.localeCompare(b.organization)),
  };
}

function percent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  const p = (100 * part) / whole;
  return `${p < 0.1 && p > 0 ? '<0.1' : p.toFixed(p < 10 ? 1 : 0)}%`;
}

/** Findings for a summary: per policy domain, a pass or one finding per failure category. */
export function tlsrptFindings(summary: TlsRptSummary, problems: readonly ReadProblem[] = []): Finding[] {
  const out: Finding[] = [];
  if (problems.length > 0) {
    out.push(
      finding({
        id: 'tlsrpt.input',
        status: 'error',
        severity: 'low',
        title: `${problems.length} input${problems.length === 1 ? '' : 's'} could not be read as TLS reports`,
        detail: problems.map((p) => `${p.source}: ${p.reason}`).join('\n'),
        evidence: { problems },
        controls: ['transport.tls-reporting'],
      }),
    );
  }
  if (summary.reports === 0) {
    out.push(
      finding({
        id: 'tlsrpt.reports',
        status: 'warn',
        severity: 'low',
        title: 'No TLS reports found',
        detail: 'None of the inputs held an RFC 8460 report, so transport failures stay invisible.',
        controls: ['transport.tls-reporting'],
        remediation:
          'Publish `_smtp._tls.DOMAIN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@DOMAIN"` and point this command at that mailbox.',
      }),
    );
  }
  for (const p of summary.policies) {
    const rows = summary.failures.filter(
      (r) => r.policyDomain === p.policyDomain && r.policyType === p.policyType,
    );
    // Some senders' totals disagree with their own details; the larger count is the honest base.
    const detailed = rows.reduce((n, r) => n + r.sessions, 0);
    const total = p.successfulSessions + Math.max(p.failedSessions, detailed);
    const label = `${p.policyDomain} (${p.policyType === 'no-policy-found' ? 'no policy' : `${p.policyType} policy`})`;
    if (p.failedSessions === 0 && rows.every((r) => r.sessions === 0)) {
      out.push(
        finding({
          id: 'tlsrpt.sessions',
          status: 'pass',
          title: `${label}: all ${total} reported sessions used TLS`,
          detail: `${p.organizations.length} reporting organisation(s) across ${p.reports} report(s) saw no TLS failure.`,
          evidence: p,
          controls: ['transport.starttls', 'transport.tls-reporting'],
        }),
      );
      continue;
    }
    const groups = new Map<string, FailureRow[]>();
    for (const r of rows) {
      const id = categoryOf(r.resultType).id;
      groups.set(id, [...(groups.get(id) ?? []), r]);
    }
    for (const [id, group] of groups) {
      const cat = CATEGORIES.find((c) => c.id === id) ?? OTHER;
      const sessions = group.reduce((n, r) => n + r.sessions, 0);
      const rate = total > 0 ? sessions / total : 1;
      // A failed session is mail delayed or sent without verified TLS; at 1% it is a pattern.
      const severity: Severity =
        id === 'tlsrpt.other-failure'
          ? 'low'
          : id === 'tlsrpt.policy-fetch' || rate < 0.01
            ? 'medium'
            : 'high';
      const lines = group.map(
        (r) =>
          `${r.organization}: ${r.resultType}, ${r.sessions} session(s)` +
          (r.mxHosts.length ? ` to ${r.mxHosts.join(', ')}` : '') +
          (r.reasons.length ? ` (${r.reasons.join('; ')})` : ''),
      );
      out.push(
        finding({
          id,
          status: 'fail',
          severity,
          title: `${label}: senders ${cat.what} in ${sessions} session(s), ${percent(sessions, total)} of ${total}`,
          detail: lines.join('\n'),
          evidence: { policy: p, failures: group },
          controls: [...cat.controls, 'transport.tls-reporting'],
          remediation: cat.fix.replace(/DOMAIN/g, p.policyDomain),
        }),
      );
    }
  }
  return out;
}
