/**
 * Per-address verdicts merged into findings: an MX host whose addresses all behave alike gets one
 * finding naming them all; addresses that differ get a finding each.
 */
import type { Finding, Severity, Status } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import type { SmtpProbeResult, TranscriptLine } from './types.js';

/** What one check concluded for one address. The texts must not depend on the address. */
export interface Verdict {
  status: Status;
  severity?: Severity;
  title: string;
  detail: string;
  remediation?: string;
  /** Address-specific evidence; the address is added when merging. */
  evidence: Record<string, unknown>;
}

/** Evaluates one probe result; undefined when the check does not apply to it. */
export type Evaluate = (r: SmtpProbeResult) => Verdict | undefined;

/** One finding per distinct verdict, evidence listing each address it covers. */
export function mergeVerdicts(
  id: string,
  controls: string[],
  host: string,
  results: readonly SmtpProbeResult[],
  evaluate: Evaluate,
): Finding[] {
  const groups = new Map<string, { v: Verdict; per: Record<string, unknown>[]; addresses: string[] }>();
  for (const r of results) {
    const v = evaluate(r);
    if (!v) continue;
    const key = JSON.stringify([v.status, v.severity, v.title, v.detail, v.remediation]);
    let g = groups.get(key);
    if (!g) {
      g = { v, per: [], addresses: [] };
      groups.set(key, g);
    }
    g.addresses.push(r.address);
    g.per.push({ address: r.address, port: r.port, ...v.evidence });
  }
  const out: Finding[] = [];
  for (const { v, per, addresses } of groups.values()) {
    const seen = addresses.length === 1 ? `Seen at ${addresses[0]}.` : `Seen at ${addresses.join(', ')}.`;
    out.push(
      finding({
        id,
        status: v.status,
        ...(v.severity ? { severity: v.severity } : {}),
        title: v.title,
        detail: `${v.detail} ${seen}`,
        evidence: { host, addresses: per },
        controls,
        ...(v.remediation ? { remediation: v.remediation } : {}),
      }),
    );
  }
  return out;
}

/** Lines before the first command: the connection note and the banner. */
export function bannerLines(r: SmtpProbeResult): TranscriptLine[] {
  const first = r.transcript.findIndex((l) => l.dir === 'C');
  return first === -1 ? r.transcript.slice() : r.transcript.slice(0, first);
}

/**
 * The exchanges of the given commands: each matching command line with the replies and notes that
 * follow it up to the next command. Keeps evidence to the lines a verdict rests on.
 */
export function exchanges(r: SmtpProbeResult, verbs: readonly string[]): TranscriptLine[] {
  const out: TranscriptLine[] = [];
  let keep = false;
  for (const l of r.transcript) {
    if (l.dir === 'C') keep = verbs.includes(l.line.split(' ', 1)[0]!.toUpperCase());
    if (keep) out.push(l);
  }
  return out;
}

/** The severest of the given severities. */
export function worstSeverity(list: readonly Severity[]): Severity {
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  return list.reduce<Severity>((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a), 'info');
}

/** First letter upper-cased, for reasons that start a sentence. */
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
