/**
 * Verdicts for single ports merged into findings: the same verdict at several addresses or ports
 * becomes one finding listing where it was seen (a shared certificate on 465, 587 and 993 is one
 * problem, not three).
 */
import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import type { TranscriptLine } from '../types.js';
import type { Verdict } from '../verdict.js';
import { ACCESS_PORTS } from './services.js';
import type { AccessProbeResult } from './types.js';

/** A verdict and where it applies. Texts must not depend on the address. */
export interface Located {
  address: string;
  port: number;
  verdict: Verdict;
}

/** The control every `submission.*` finding serves. */
export const ACCESS_CONTROLS = ['access.admin'];

/**
 * One finding per distinct verdict. `portSuffix` appends the ports to the title, for verdict texts
 * (reused from the MX checks) that do not name them.
 */
export function mergeLocated(
  id: string,
  host: string,
  items: readonly Located[],
  o: { portSuffix?: boolean } = {},
): Finding[] {
  const groups = new Map<string, { v: Verdict; at: Located[] }>();
  for (const item of items) {
    const v = item.verdict;
    const key = JSON.stringify([v.status, v.severity, v.title, v.detail, v.remediation]);
    const g = groups.get(key);
    if (g) g.at.push(item);
    else groups.set(key, { v, at: [item] });
  }
  return [...groups.values()].map(({ v, at }) => {
    const ports = [...new Set(at.map((a) => a.port))].sort(byPortOrder);
    const suffix = o.portSuffix ? ` (port${ports.length > 1 ? 's' : ''} ${ports.join(', ')})` : '';
    return finding({
      id,
      status: v.status,
      ...(v.severity ? { severity: v.severity } : {}),
      title: `${v.title}${suffix}`,
      detail: `${v.detail} Seen at ${seenAt(at)}.`,
      evidence: {
        host,
        locations: at.map((a) => ({ address: a.address, port: a.port, ...a.verdict.evidence })),
      },
      controls: ACCESS_CONTROLS,
      ...(v.remediation ? { remediation: v.remediation } : {}),
    });
  });
}

/** Evaluates each result and locates the verdicts. */
export function locate(
  results: readonly AccessProbeResult[],
  evaluate: (r: AccessProbeResult) => Verdict | undefined,
): Located[] {
  return results.flatMap((r) => {
    const verdict = evaluate(r);
    return verdict ? [{ address: r.address, port: r.port, verdict }] : [];
  });
}

/** `192.0.2.1 ports 465, 993, 2001:db8::1 port 993`: each address once, its ports in report order. */
function seenAt(at: readonly Located[]): string {
  const ports = new Map<string, number[]>();
  for (const a of at) ports.set(a.address, [...(ports.get(a.address) ?? []), a.port]);
  return [...ports]
    .map(([address, list]) => {
      const sorted = [...new Set(list)].sort(byPortOrder);
      return `${address} port${sorted.length > 1 ? 's' : ''} ${sorted.join(', ')}`;
    })
    .join('; ');
}

function byPortOrder(a: number, b: number): number {
  const rank = (p: number) => {
    const i = (ACCESS_PORTS as readonly number[]).indexOf(p);
    return i === -1 ? ACCESS_PORTS.length + p : i;
  };
  return rank(a) - rank(b);
}

/**
 * The exchanges of the given commands, IMAP tags ignored: each command line with the answers and
 * notes up to the next command (`beforeTls`: only what crossed the network in clear). Keeps evidence
 * to the lines a verdict rests on.
 */
export function commandExchanges(
  r: AccessProbeResult,
  verbs: readonly string[],
  o: { beforeTls?: boolean } = {},
): TranscriptLine[] {
  const out: TranscriptLine[] = [];
  let keep = false;
  for (const l of r.transcript) {
    if (o.beforeTls && l.dir === '*' && l.line.startsWith('TLS handshake')) break;
    if (l.dir === 'C') {
      const words = l.line.split(' ');
      const verb = (r.protocol === 'imap' ? words[1] : words[0]) ?? '';
      keep = verbs.includes(verb.toUpperCase());
    }
    if (keep) out.push(l);
  }
  return out;
}
