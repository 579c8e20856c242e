import type { Finding } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import { MESSAGE_MAX_HEADER_FIELDS } from '../core/limits.js';
import { VERSION } from '../core/version.js';
import { countStatuses, type StatusCounts } from '../report/model.js';
import { collectExposure, exposureFindings, type Exposure } from './analyze.js';
import { parseHeaderBlock, type HeaderField } from './header-fields.js';
import { internalMatcher, type InternalMatcher } from './internal.js';
import { walkMessages, type MessageHeaderSource } from './sources.js';

/** One analysed message. */
export interface MessageReport {
  source: string;
  findings: Finding[];
}

/** A value and how many messages showed it. */
export interface Tally {
  value: string;
  messages: number;
}

/** The versioned document `headers analyze` renders (schemas/headers-report.schema.json). */
export interface HeadersRun {
  schema: 1;
  tool: 'mailcomply';
  kind: 'headers-analysis';
  version: string;
  startedAt: string;
  finishedAt: string;
  paths: string[];
  summary: StatusCounts;
  aggregate: {
    messages: number;
    /** Messages that could not be analysed. */
    errors: number;
    /** Messages exposing nothing. */
    clean: number;
    /** Bytes of header blocks read. */
    bytes: number;
    /** Messages per finding id. */
    byFinding: Record<string, number>;
    /** Internal names, internal addresses and client software, most frequent first (personal values are never tallied). */
    internalHosts: Tally[];
    internalIps: Tally[];
    software: Tally[];
  };
  messages: MessageReport[];
}

/** Options for an analysis run. */
export interface AnalyzeOptions {
  /** Zones whose names are internal (organisation.internalZones). */
  internalZones?: string[];
  clock?: () => Date;
  /** Called after each message, for progress. */
  onMessage?: (done: number) => void;
}

const TALLY_TOP = 20;

/** Findings for one header block (latin1 text): parse problems are noted, never thrown. */
export function analyzeHeaderText(
  text: string,
  internal: InternalMatcher,
): { findings: Finding[]; exposure: Exposure } {
  const parsed = parseHeaderBlock(text);
  const fields: HeaderField[] =
    parsed.fields.length > MESSAGE_MAX_HEADER_FIELDS
      ? parsed.fields.slice(0, MESSAGE_MAX_HEADER_FIELDS)
      : parsed.fields;
  if (!fields.some((f) => f.name !== '')) {
    return {
      findings: [readError('no header fields found (not a message, or a body without headers)')],
      exposure: {},
    };
  }
  const exposure = collectExposure(fields, internal);
  const findings = exposureFindings(exposure);
  const notes: string[] = [...parsed.problems.slice(0, 5)];
  if (text.includes('\0')) notes.push('NUL bytes in the header block');
  if (parsed.fields.length > MESSAGE_MAX_HEADER_FIELDS)
    notes.push(`more than ${MESSAGE_MAX_HEADER_FIELDS} fields; the rest were not analysed`);
  if (notes.length)
    findings.push(
      finding({
        id: 'headers.malformed',
        status: 'info',
        title: 'Header block is malformed',
        detail: `The header block has ${parsed.problems.length} line(s) that are not header fields or other defects; the rest was analysed.`,
        evidence: notes,
        controls: [],
      }),
    );
  return { findings, exposure };
}

function readError(reason: string): Finding {
  return finding({
    id: 'headers.read',
    status: 'error',
    severity: 'low',
    title: 'Message could not be analysed',
    detail: reason,
    evidence: { reason },
    controls: [],
  });
}

/** Analyses every message under the given paths (.eml, mbox, Maildir) and aggregates the results. */
export function analyzePaths(paths: readonly string[], options: AnalyzeOptions = {}): HeadersRun {
  return analyzeSources(walkMessages(paths), paths, options);
}

/** Same as analyzePaths over any source of header blocks. */
export function analyzeSources(
  sources: Iterable<MessageHeaderSource>,
  paths: readonly string[],
  options: AnalyzeOptions = {},
): HeadersRun {
  const clock = options.clock ?? (() => new Date());
  const startedAt = clock();
  const internal = internalMatcher(options.internalZones ?? []);
  const messages: MessageReport[] = [];
  const byFinding: Record<string, number> = {};
  const hosts = new Map<string, number>();
  const ips = new Map<string, number>();
  const software = new Map<string, number>();
  let bytes = 0;
  let errors = 0;
  let clean = 0;
  for (const src of sources) {
    bytes += src.bytes;
    let findings: Finding[];
    if (src.header === undefined) {
      findings = [readError(src.error ?? 'unreadable')];
    } else {
      const r = analyzeHeaderText(src.header, internal);
      findings = r.findings;
      tally(
        hosts,
        r.exposure['internal-host']?.flatMap((i) => i.matched).map((h) => h.toLowerCase()),
      );
      tally(
        ips,
        r.exposure['internal-ip']?.flatMap((i) => i.matched),
      );
      tally(
        software,
        r.exposure['client-software']?.flatMap((i) => i.matched),
      );
    }
    for (const id of new Set(findings.map((f) => f.id))) byFinding[id] = (byFinding[id] ?? 0) + 1;
    if (findings.some((f) => f.id === 'headers.read')) errors++;
    if (findings.some((f) => f.id === 'headers.clean')) clean++;
    messages.push({ source: src.source, findings });
    options.onMessage?.(messages.length);
  }
  return {
    schema: 1,
    tool: 'mailcomply',
    kind: 'headers-analysis',
    version: VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: clock().toISOString(),
    paths: [...paths],
    summary: countStatuses(messages.flatMap((m) => m.findings)),
    aggregate: {
      messages: messages.length,
      errors,
      clean,
      bytes,
      byFinding,
      internalHosts: top(hosts),
      internalIps: top(ips),
      software: top(software),
    },
    messages,
  };
}

function tally(map: Map<string, number>, values: string[] | undefined): void {
  if (!values) return;
  for (const v of new Set(values)) map.set(v, (map.get(v) ?? 0) + 1);
}

function top(map: Map<string, number>): Tally[] {
  return [...map]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TALLY_TOP)
    .map(([value, messages]) => ({ value, messages }));
}
