/**
 * The processor register document `mailcomply processors` prints: one row per processor across the
 * scanned domains (for the Art. 30 record), and per domain the processors and `processors.*` findings.
 */
import type { Config } from '../core/config.js';
import type { Finding } from '../core/finding.js';
import { VERSION } from '../core/version.js';
import type { DomainReport } from '../domain/scan.js';
import { countStatuses, type StatusCounts } from '../report/model.js';
import { PROCESSOR_ROLES, ROLE_LABELS, type DiscoveredProcessor, type ProcessorRole } from './types.js';

/** One processor of the organisation, merged over every scanned domain. */
export interface RegisterRow extends Omit<DiscoveredProcessor, 'evidence' | 'roles'> {
  roles: ProcessorRole[];
  /** The organisation's domains it serves. */
  domains: string[];
  /** The DNS names that showed it. */
  seen: string[];
}

/** The versioned document (schemas/processors-report.schema.json). */
export interface ProcessorsDoc {
  schema: 1;
  tool: 'mailcomply';
  kind: 'processors';
  version: string;
  generatedAt: string;
  /** The configuration file used, if any. */
  config: string | null;
  organisation: string | null;
  summary: StatusCounts;
  register: RegisterRow[];
  domains: {
    domain: string;
    input?: string;
    processors: DiscoveredProcessor[];
    findings: Finding[];
    summary: StatusCounts;
  }[];
}

/** Builds the document from scan reports that ran discovery. */
export function buildProcessorsDoc(
  reports: readonly DomainReport[],
  meta: { generatedAt: Date; configPath?: string; config: Config },
): ProcessorsDoc {
  const rows = new Map<string, RegisterRow>();
  for (const r of reports) {
    for (const p of r.processors ?? []) {
      const { evidence, roles, ...rest } = p;
      let row = rows.get(p.key);
      if (!row) {
        row = { ...rest, roles: [], domains: [], seen: [] };
        rows.set(p.key, row);
      }
      for (const role of roles) if (!row.roles.includes(role)) row.roles.push(role);
      if (!row.domains.includes(r.domain)) row.domains.push(r.domain);
      for (const e of evidence) if (!row.seen.includes(e.name)) row.seen.push(e.name);
    }
  }
  for (const row of rows.values())
    row.roles.sort((a, b) => PROCESSOR_ROLES.indexOf(a) - PROCESSOR_ROLES.indexOf(b));
  const findings = reports.flatMap((r) => r.findings);
  return {
    schema: 1,
    tool: 'mailcomply',
    kind: 'processors',
    version: VERSION,
    generatedAt: meta.generatedAt.toISOString(),
    config: meta.configPath ?? null,
    organisation: meta.config.organisation?.name ?? null,
    summary: countStatuses(findings),
    register: [...rows.values()].sort(
      (a, b) => Number(b.identified) - Number(a.identified) || a.name.localeCompare(b.name),
    ),
    domains: reports.map((r) => ({
      domain: r.domain,
      ...(r.input ? { input: r.input } : {}),
      processors: r.processors ?? [],
      findings: r.findings,
      summary: countStatuses(r.findings),
    })),
  };
}

/** Column headings of the CSV, in the order of an Art. 30(1) record. */
export const CSV_COLUMNS = [
  'Processor',
  'Legal name',
  'Country',
  'Region',
  'Roles',
  'Domains served',
  'Seen in DNS',
  'DPA signed',
  'Transfer mechanism',
  'Transfer impact assessment',
  'DPF status',
  'DPF status recorded',
  'EU data residency offered',
  'Catalogue checked',
] as const;

/** RFC 4180 CSV of the register, safe to open in a spreadsheet (no formula injection). */
export function registerCsv(doc: ProcessorsDoc): string {
  const lines = [CSV_COLUMNS.map(cell).join(',')];
  for (const r of doc.register) {
    lines.push(
      [
        r.name,
        r.legalName,
        r.country,
        r.region,
        r.roles.map((x) => ROLE_LABELS[x]).join('; '),
        r.domains.join(' '),
        r.seen.join(' '),
        r.declared?.dpa ?? '',
        r.declared?.transfer ?? '',
        r.declared?.tia ?? '',
        r.dpf?.status ?? '',
        r.dpf?.asOf ?? '',
        r.euResidency ?? '',
        r.checked ?? '',
      ]
        .map(cell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** One CSV cell: quoted when needed; a leading = + - @ is neutralised so spreadsheets show it as text. */
export function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}
