import { setMaxListeners } from 'node:events';
import { describeError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import { mapLimit } from '../core/pool.js';
import { SCAN_DEFAULT_CONCURRENCY, SCAN_DEFAULT_TIMEOUT_S } from '../core/limits.js';
import { CachingResolver } from '../dns/cache.js';
import { toAsciiDomain } from '../dns/name.js';
import type { Resolver } from '../dns/types.js';
import type { DiscoveredProcessor } from '../providers/types.js';
import { DOMAIN_CHECKS, TRANSPORT_CHECKS, type RegisteredCheck } from './checks.js';
import type { AccessPort } from '../smtp/access/types.js';
import { gradeDomain, type DskGrade } from './grade.js';
import { ProbePool, type ProbePoolOptions } from './transport/probe-pool.js';
import type { DomainContext, DomainScanOptions, TransportSeams } from './types.js';

/** Probing the servers: SMTP/STARTTLS on every MX, the MTA-STS policy over HTTPS, DANE. */
export interface TransportOptions extends ProbePoolOptions {
  /** At most this many MX hosts per domain are probed (default 10). */
  maxMx?: number;
  /** Submission/IMAP/POP3 ports to probe on the MX hosts and `accessHosts` (default: none). */
  accessPorts?: readonly AccessPort[];
  accessHosts?: readonly string[];
  /** One pool per run; scanDomains makes it, scanDomain makes its own when absent. */
  pool?: ProbePool;
}

/** Default cap on MX hosts probed per domain. */
export const DEFAULT_MAX_MX = 10;

export interface ScanOptions {
  resolver: Resolver;
  dkimSelectors?: string[];
  /** Per-domain deadline in seconds; every check still running then ends as an `error` finding. */
  timeoutS?: number;
  concurrency?: number;
  clock?: () => Date;
  /** Aborts the whole run. */
  signal?: AbortSignal;
  /** Called after each domain, for progress display. */
  onDomain?: (done: number, total: number) => void;
  /** Which checks to run; defaults to the record checks, plus the transport checks with `transport`. */
  checks?: readonly RegisteredCheck[];
  /** Probe the servers too; without it the scan only reads DNS. */
  transport?: TransportOptions;
  /** Runs after the checks on the same context and DNS cache: processor discovery (src/providers). */
  processors?: (ctx: DomainContext) => Promise<{ processors: DiscoveredProcessor[]; findings: Finding[] }>;
}

export interface DomainReport {
  /** ASCII (punycode), lower-case form that was scanned. */
  domain: string;
  /** What the user typed, when it differs (IDN, upper case, trailing dot). */
  input?: string;
  startedAt: string;
  durationMs: number;
  /** The DSK grade; only when servers were probed, since it rests on transport encryption. */
  grade?: DskGrade;
  findings: Finding[];
  /** Third parties the domain's DNS points mail data to; present when the scan ran discovery. */
  processors?: DiscoveredProcessor[];
}

/** Scans one domain with every record check, never throwing for a bad domain or a broken resolver. */
export async function scanDomain(input: string, options: ScanOptions): Promise<DomainReport> {
  const clock = options.clock ?? (() => new Date());
  const started = clock();
  const t0 = performance.now();
  const name = toAsciiDomain(input);
  const report = (domain: string, findings: Finding[], grade?: DskGrade): DomainReport => ({
    domain,
    ...(domain !== input ? { input } : {}),
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    ...(grade ? { grade } : {}),
    findings,
  });
  if (!name.ok) {
    return report(input, [
      finding({
        id: 'scan.domain',
        status: 'error',
        severity: 'medium',
        title: 'Not a valid domain name',
        detail: `The input cannot be scanned: ${name.reason}.`,
        evidence: { input },
        controls: [],
        remediation: 'Give a registered domain name such as example.org (IDNs are accepted and converted).',
      }),
    ]);
  }
  const timeoutS = options.timeoutS ?? SCAN_DEFAULT_TIMEOUT_S;
  const deadline = AbortSignal.timeout(timeoutS * 1000);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  // Every check, probe and fetch of the domain listens on this one signal: dozens is expected, not a leak.
  setMaxListeners(0, signal);
  const opts: DomainScanOptions = { dkimSelectors: options.dkimSelectors ?? [] };
  const ctx: DomainContext = {
    domain: name.domain,
    // Each domain gets its own cache: checks re-ask the same names, and memory stays flat on big runs.
    resolver: wrapResolver(new CachingResolver(options.resolver), signal),
    clock,
    signal,
    options: opts,
  };
  const transport = transportSeams(options.transport);
  if (transport) ctx.transport = transport;
  const checks = options.checks ?? (transport ? [...DOMAIN_CHECKS, ...TRANSPORT_CHECKS] : DOMAIN_CHECKS);
  const findings = (await Promise.all(checks.map((c) => runCheck(c, ctx, timeoutS)))).flat();
  const out = report(name.domain, findings, transport ? gradeDomain(findings) : undefined);
  const step = options.processors;
  if (step) {
    // After the checks, so discovery's lookups are answered from the domain's cache.
    out.processors = [];
    const run = async (c: DomainContext): Promise<Finding[]> => {
      const r = await step(c);
      out.processors = r.processors;
      return r.findings;
    };
    findings.push(
      ...(await runCheck({ family: 'processors', control: 'processors.register', run }, ctx, timeoutS)),
    );
    out.durationMs = Math.round(performance.now() - t0);
  }
  return out;
}

/** Scans many domains with bounded concurrency; results keep the input order. */
export async function scanDomains(inputs: readonly string[], options: ScanOptions): Promise<DomainReport[]> {
  let done = 0;
  // One probe pool per run: MX hosts shared by many domains are probed once.
  const transport = options.transport && {
    ...options.transport,
    pool: options.transport.pool ?? new ProbePool(options.transport),
  };
  return mapLimit(inputs, options.concurrency ?? SCAN_DEFAULT_CONCURRENCY, async (input) => {
    const report = await scanDomain(input, { ...options, ...(transport ? { transport } : {}) });
    options.onDomain?.(++done, inputs.length);
    return report;
  });
}

function transportSeams(o: TransportOptions | undefined): TransportSeams | undefined {
  if (!o) return undefined;
  return {
    dialer: o.dialer,
    probes: o.pool ?? new ProbePool(o),
    maxMx: o.maxMx ?? DEFAULT_MAX_MX,
    accessPorts: o.accessPorts ?? [],
    accessHosts: o.accessHosts ?? [],
    ...(o.ca ? { ca: o.ca } : {}),
  };
}

/** Passes the domain's deadline to every query so a slow resolver cannot outlive it. */
function wrapResolver(inner: Resolver, signal: AbortSignal): Resolver {
  return {
    query: (name, type, o) => inner.query(name, type, { ...o, signal: o?.signal ?? signal }),
  };
}

async function runCheck(check: RegisteredCheck, ctx: DomainContext, timeoutS: number): Promise<Finding[]> {
  const aborted = new Promise<'aborted'>((resolve) => {
    if (ctx.signal.aborted) resolve('aborted');
    else ctx.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    const result = await Promise.race([check.run(ctx), aborted]);
    if (result !== 'aborted') return result;
    return [
      finding({
        id: `${check.family}.timeout`,
        status: 'error',
        severity: 'medium',
        title: `The ${check.family} checks did not finish in time`,
        detail: `The checks were stopped after ${timeoutS} s; the verdict is unknown. Slow or unreachable name servers are the usual cause.`,
        evidence: { timeoutS },
        controls: [check.control],
        remediation: 'Re-run with a larger --timeout or a closer resolver, and check that the zone answers.',
      }),
    ];
  } catch (err) {
    // A check must never throw; if one does, the domain still gets a verdict for every other check.
    return [
      finding({
        id: `${check.family}.internal`,
        status: 'error',
        severity: 'medium',
        title: `The ${check.family} checks failed unexpectedly`,
        detail: `Internal error: ${describeError(err)}`,
        evidence: null,
        controls: [check.control],
      }),
    ];
  }
}
