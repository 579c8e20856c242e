/** Outcome of one check. `error` means the check could not be completed; it is not a verdict. */
export type Status = 'pass' | 'fail' | 'warn' | 'info' | 'error';

/** How much a non-passing finding matters. Passing findings carry `info`. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export const STATUSES: readonly Status[] = ['pass', 'fail', 'warn', 'info', 'error'];
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** One verdict about one target, with the evidence a reviewer needs to re-derive it. */
export interface Finding {
  /** Stable, family-prefixed id: `spf.lookups`, `dmarc.policy`. */
  id: string;
  status: Status;
  severity: Severity;
  /** One line a DPO understands. */
  title: string;
  /** What was seen and why it matters. */
  detail: string;
  /** Raw, reproducible: records, answers, transcripts. */
  evidence: unknown;
  /** Control ids from the catalogue. */
  controls: string[];
  /** GDPR article references, e.g. `Art. 32(1)(a)`. */
  gdpr: string[];
  /** The exact record or setting to change. */
  remediation?: string;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Order used by reports: failures and errors before warnings, then by severity. */
export function statusRank(s: Status): number {
  switch (s) {
    case 'fail':
      return 4;
    case 'error':
      return 3;
    case 'warn':
      return 2;
    case 'info':
      return 1;
    case 'pass':
      return 0;
  }
}

/** Worst first: by severity, then by status. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    statusRank(b.status) - statusRank(a.status) ||
    a.id.localeCompare(b.id)
  );
}

/** True when the finding counts against `--fail-on`: a non-passing verdict at or above the threshold. */
export function breaches(f: Finding, threshold: Severity): boolean {
  if (f.status === 'pass' || f.status === 'info') return false;
  return severityRank(f.severity) >= severityRank(threshold);
}
