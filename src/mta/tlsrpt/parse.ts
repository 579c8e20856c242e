/**
 * RFC 8460 SMTP TLS reports (the JSON senders mail to a domain's `rua`). Lenient like the reports
 * are: a field of the wrong type is reported and skipped, never fatal, so one odd sender does not
 * hide the failures in the rest of its report.
 */

/** One row of `failure-details` (RFC 8460 §4.3). */
export interface TlsFailureDetail {
  resultType: string;
  failedSessions: number;
  sendingMtaIp?: string;
  receivingMxHostname?: string;
  receivingIp?: string;
  failureReasonCode?: string;
}

/** One entry of `policies` (RFC 8460 §4.3). */
export interface TlsReportPolicy {
  /** `sts`, `tlsa` or `no-policy-found`. */
  type: string;
  domain: string;
  /** The policy as the sender saw it (`policy-string`), when given. */
  policyString?: string[];
  mxHosts: string[];
  successfulSessions: number;
  failedSessions: number;
  failures: TlsFailureDetail[];
}

/** A report as read, with the problems met while reading it. */
export interface TlsReport {
  organization: string;
  reportId: string;
  contactInfo?: string;
  start?: string;
  end?: string;
  policies: TlsReportPolicy[];
  problems: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, key: string, problems: string[], where: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  problems.push(`${where}${key} is not a string`);
  return undefined;
}

function count(o: Obj, key: string, problems: string[], where: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  // Some senders write counts as strings.
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  problems.push(`${where}${key} is ${v === undefined ? 'missing' : 'not a whole number'}`);
  return 0;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Reads a parsed JSON value as an RFC 8460 report; undefined when it is not one at all (no
 * `policies` array), otherwise a report with its problems listed.
 */
export function parseTlsReport(json: unknown): TlsReport | undefined {
  if (!isObj(json) || !Array.isArray(json.policies)) return undefined;
  const problems: string[] = [];
  const dates = isObj(json['date-range']) ? json['date-range'] : {};
  const report: TlsReport = {
    organization: str(json, 'organization-name', problems, '') ?? '(unnamed)',
    reportId: str(json, 'report-id', problems, '') ?? '(no id)',
    policies: [],
    problems,
  };
  const contact = str(json, 'contact-info', problems, '');
  if (contact !== undefined) report.contactInfo = contact;
  const start = str(dates, 'start-datetime', problems, 'date-range.');
  const end = str(dates, 'end-datetime', problems, 'date-range.');
  if (start !== undefined) report.start = start;
  if (end !== undefined) report.end = end;
  json.policies.forEach((p: unknown, i) => {
    const where = `policies[${i}].`;
    if (!isObj(p)) return void problems.push(`policies[${i}] is not an object`);
    const policy = isObj(p.policy) ? p.policy : {};
    const summary = isObj(p.summary) ? p.summary : {};
    const out: TlsReportPolicy = {
      type: str(policy, 'policy-type', problems, `${where}policy.`) ?? 'unknown',
      domain: (str(policy, 'policy-domain', problems, `${where}policy.`) ?? '(none)').toLowerCase(),
      mxHosts: strings(policy['mx-host']),
      successfulSessions: count(summary, 'total-successful-session-count', problems, `${where}summary.`),
      failedSessions: count(summary, 'total-failure-session-count', problems, `${where}summary.`),
      failures: [],
    };
    if (policy['policy-string'] !== undefined) out.policyString = strings(policy['policy-string']);
    const details = Array.isArray(p['failure-details']) ? p['failure-details'] : [];
    details.forEach((d: unknown, j) => {
      const w = `${where}failure-details[${j}].`;
      if (!isObj(d)) return void problems.push(`${w.slice(0, -1)} is not an object`);
      const detail: TlsFailureDetail = {
        resultType: str(d, 'result-type', problems, w) ?? 'unknown',
        failedSessions: count(d, 'failed-session-count', problems, w),
      };
      const optional = [
        ['sendingMtaIp', 'sending-mta-ip'],
        ['receivingMxHostname', 'receiving-mx-hostname'],
        ['receivingIp', 'receiving-ip'],
        ['failureReasonCode', 'failure-reason-code'],
      ] as const;
      for (const [field, key] of optional) {
        const v = str(d, key, problems, w);
        if (v !== undefined) detail[field] = v;
      }
      out.failures.push(detail);
    });
    report.policies.push(out);
  });
  return report;
}
