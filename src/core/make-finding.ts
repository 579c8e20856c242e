import { articlesFor } from '../controls/catalog.js';
import type { Finding, Severity, Status } from './finding.js';

export interface FindingInput {
  id: string;
  status: Status;
  /** Defaults to `info` for pass/info findings; required in spirit for the rest. */
  severity?: Severity;
  title: string;
  detail: string;
  evidence?: unknown;
  controls: string[];
  remediation?: string;
}

/** Builds a finding, filling `gdpr` from the control catalogue so articles live in one place. */
export function finding(input: FindingInput): Finding {
  const severity: Severity =
    input.severity ?? (input.status === 'pass' || input.status === 'info' ? 'info' : 'medium');
  const f: Finding = {
    id: input.id,
    status: input.status,
    severity: input.status === 'pass' ? 'info' : severity,
    title: input.title,
    detail: input.detail,
    evidence: input.evidence ?? null,
    controls: input.controls,
    gdpr: articlesFor(input.controls),
  };
  if (input.remediation !== undefined) f.remediation = input.remediation;
  return f;
}
