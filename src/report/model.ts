import type { Finding, Status } from '../core/finding.js';
import { VERSION } from '../core/version.js';
import type { DomainReport } from '../domain/scan.js';

export type StatusCounts = Record<Status, number>;

/** The versioned JSON document every renderer starts from (schemas/scan-report.schema.json). */
export interface ScanRun {
  schema: 1;
  tool: 'mailcomply';
  version: string;
  startedAt: string;
  finishedAt: string;
  /** Resolvers the answers came from, as host:port; DNSSEC verdicts are only as good as these. */
  resolvers: string[];
  summary: StatusCounts;
  domains: (DomainReport & { summary: StatusCounts })[];
}

export function countStatuses(findings: readonly Finding[]): StatusCounts {
  const counts: StatusCounts = { pass: 0, fail: 0, warn: 0, info: 0, error: 0 };
  for (const f of findings) counts[f.status]++;
  return counts;
}

export function buildRun(
  domains: DomainReport[],
  meta: { startedAt: Date; finishedAt: Date; resolvers: string[] },
): ScanRun {
  const withSummary = domains.map((d) => ({ ...d, summary: countStatuses(d.findings) }));
  return {
    schema: 1,
    tool: 'mailcomply',
    version: VERSION,
    startedAt: meta.startedAt.toISOString(),
    finishedAt: meta.finishedAt.toISOString(),
    resolvers: meta.resolvers,
    summary: countStatuses(domains.flatMap((d) => d.findings)),
    domains: withSummary,
  };
}
