/**
 * Findings from the submission and mailbox-access probes of one host: which ports are open,
 * whether logins are possible before TLS, whether implicit TLS is offered, TLS and certificates.
 */
import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import { capitalise, type Verdict } from '../verdict.js';
import { ACCESS_CONTROLS, locate, mergeLocated } from './merge.js';
import { STATE_TEXT, portState, type PortState } from './port-state.js';
import { ACCESS_PORTS, accessService } from './services.js';
import type { AccessProbeResult } from './types.js';
import { implicitTlsVerdicts, plaintextAuthVerdict } from './verdicts-access.js';
import { accessCertificateVerdict, accessTlsVerdict } from './verdicts-tls.js';

/**
 * Every `submission.*` finding for one host from the probes of its ports and addresses.
 * @example accessFindings('mail.example.org', await probeAccessHost({ host, addresses }, { dialer }), { clock: () => new Date() })
 */
export function accessFindings(
  host: string,
  results: readonly AccessProbeResult[],
  o: { clock: () => Date },
): Finding[] {
  const now = o.clock();
  return [
    portsSummary(host, results),
    ...mergeLocated('submission.ports', host, locate(results, unassessedVerdict), { portSuffix: true }),
    ...mergeLocated('submission.plaintext-auth', host, locate(results, plaintextAuthVerdict)),
    ...mergeLocated('submission.implicit-tls', host, implicitTlsVerdicts(results)),
    ...mergeLocated('submission.tls', host, locate(results, accessTlsVerdict), { portSuffix: true }),
    ...mergeLocated(
      'submission.certificate',
      host,
      locate(results, (r) => accessCertificateVerdict(r, now)),
      { portSuffix: true },
    ),
  ];
}

const NOT_PROBED: readonly PortState[] = ['unreachable', 'aborted'];

/** `submission.ports`: what each address offers, port by port. */
function portsSummary(host: string, results: readonly AccessProbeResult[]): Finding {
  const base = { id: 'submission.ports', controls: ACCESS_CONTROLS };
  if (results.length === 0) {
    return finding({
      ...base,
      status: 'info',
      title: `${host}: submission and mailbox access ports were not probed`,
      detail: 'No probe result is available for this host.',
      evidence: { host, addresses: [] },
    });
  }
  const sorted = [...results].sort(
    (a, b) => ACCESS_PORTS.indexOf(a.port as never) - ACCESS_PORTS.indexOf(b.port as never),
  );
  const addresses = [...new Set(sorted.map((r) => r.address))];
  const perAddress = addresses.map((address) => ({
    address,
    ports: sorted
      .filter((r) => r.address === address)
      .map((r) => ({
        port: r.port,
        service: r.service,
        state: portState(r),
        ...(r.connect.reason ? { connect: r.connect.reason } : {}),
        ...(r.error ? { error: r.error } : {}),
      })),
  }));
  const lines = perAddress.map(
    (a) => `${a.address}: ${a.ports.map((p) => `${p.port} ${STATE_TEXT[p.state]}`).join(', ')}.`,
  );
  const evidence = { host, addresses: perAddress };
  if (results.every((r) => NOT_PROBED.includes(portState(r)))) {
    return finding({
      ...base,
      status: 'error',
      severity: 'low',
      title: `${host}: submission and mailbox access ports could not be probed`,
      detail: `No address could be reached from the scanning host, so nothing is known about these ports. ${lines.join(' ')}`,
      evidence,
    });
  }
  const open = [...new Set(sorted.filter((r) => portState(r) === 'open').map((r) => r.port))];
  const names = open.map((p) => `${p} (${accessService(p)?.label ?? 'unknown'})`);
  return finding({
    ...base,
    status: 'info',
    title:
      open.length > 0
        ? `${host} offers ${names.join(', ')}`
        : `${host} offers no submission or mailbox access port`,
    detail: `${lines.join(' ')} A closed port is not a problem: the service is simply not offered there.`,
    evidence,
  });
}

const UNASSESSED_WHY: Partial<Record<PortState, string>> = {
  rejected: 'refused the session',
  'no-greeting': 'accepted the connection but gave no usable greeting',
};

/** Ports that answered but could not be assessed: the other checks are silent about them. */
function unassessedVerdict(r: AccessProbeResult): Verdict | undefined {
  const state = portState(r);
  const why =
    UNASSESSED_WHY[state] ??
    (state === 'open' && r.error?.phase === 'capability'
      ? 'greeted, but did not list its capabilities'
      : undefined);
  if (!why) return undefined;
  return {
    status: 'error',
    severity: 'medium',
    title: `${r.host} ${why}`,
    detail: `${capitalise(r.error?.reason ?? 'unknown reason')}. Whether logins are possible without TLS on this port was not assessed; this is not evidence either way.`,
    evidence: {
      service: r.service,
      greeting: r.greeting ?? null,
      error: r.error ?? null,
      transcript: r.transcript,
    },
  };
}
