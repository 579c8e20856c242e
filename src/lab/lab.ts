import { fileURLToPath } from 'node:url';
import { DnsClient } from '../dns/client.js';
import type { TransportOptions } from '../domain/scan.js';
import { startLabDns, type LabDnsServer } from './dns-server.js';
import { loadScenario, type Scenario } from './scenario.js';
import { startLabTransport, type LabTransport } from './transport.js';

/** The scenario shipped with the package (same relative place from src/lab and dist/lab). */
export const DEFAULT_SCENARIO = fileURLToPath(new URL('../../scenarios/lab.yaml', import.meta.url));

export interface RunningLab {
  scenario: Scenario;
  dns: LabDnsServer;
  /** A resolver client pointed at the lab, with timeouts suited to loopback. */
  resolver: DnsClient;
  /** host:port of the lab resolver, for `--resolver`. */
  address: string;
  /** SMTP and HTTPS servers and the dialer that reaches them (present unless started with `dnsOnly`). */
  transport?: LabTransport;
  close(): Promise<void>;
}

/** Starts the built-in lab on loopback (port 0 picks a free port): used by `demo`, `lab`, tests and benches. */
export async function startLab(
  options: { scenario?: string | Scenario; port?: number; dnsOnly?: boolean } = {},
): Promise<RunningLab> {
  const scenario =
    typeof options.scenario === 'object'
      ? options.scenario
      : loadScenario(options.scenario ?? DEFAULT_SCENARIO);
  // Transport first: it adds the TLSA records computed from the certificates it issues, to a copy
  // of the zone data so the scenario itself can be started again.
  const zone = { ...scenario.zone, records: [...scenario.zone.records] };
  const transport = options.dnsOnly
    ? undefined
    : await startLabTransport(
        zone,
        scenario.zones.flatMap((z) => z.smtp ?? []),
        scenario.zones.flatMap((z) => (z.mtaSts ? [z.mtaSts] : [])),
        scenario.zones.flatMap((z) => z.access ?? []),
      );
  const dns = await startLabDns(zone, { host: '127.0.0.1', port: options.port ?? 0 }).catch(
    async (err: unknown) => {
      await transport?.close();
      throw err;
    },
  );
  const resolver = new DnsClient({
    servers: [{ host: dns.host, port: dns.port }],
    timeoutMs: 1000,
    retries: 1,
  });
  return {
    scenario,
    dns,
    resolver,
    address: `${dns.host}:${dns.port}`,
    ...(transport ? { transport } : {}),
    async close() {
      resolver.close();
      await Promise.all([dns.close(), transport?.close()]);
    },
  };
}

/** Probe timeouts for the lab: loopback answers at once, so a hung server is known after 2 s. */
export const LAB_PROBE_TIMEOUTS = { connect: 1000, banner: 2000, command: 2000, tls: 2000, quit: 500 };

/** Scan options that probe the lab's servers through its dialer, trusting its CA. */
export function labTransportOptions(lab: RunningLab): TransportOptions | undefined {
  if (!lab.transport) return undefined;
  return {
    dialer: lab.transport.dialer,
    ca: [lab.transport.caPem],
    timeouts: LAB_PROBE_TIMEOUTS,
    heloName: 'scanner.lab.example',
  };
}
