import { fileURLToPath } from 'node:url';
import { DnsClient } from '../dns/client.js';
import { startLabDns, type LabDnsServer } from './dns-server.js';
import { loadScenario, type Scenario } from './scenario.js';

/** The scenario shipped with the package (same relative place from src/lab and dist/lab). */
export const DEFAULT_SCENARIO = fileURLToPath(new URL('../../scenarios/lab.yaml', import.meta.url));

export interface RunningLab {
  scenario: Scenario;
  dns: LabDnsServer;
  /** A resolver client pointed at the lab, with timeouts suited to loopback. */
  resolver: DnsClient;
  /** host:port of the lab resolver, for `--resolver`. */
  address: string;
  close(): Promise<void>;
}

/** Starts the built-in lab on loopback (port 0 picks a free port): used by `demo`, `lab`, tests and benches. */
export async function startLab(options: { scenario?: string | Scenario; port?: number } = {}): Promise<RunningLab> {
  const scenario =
    typeof options.scenario === 'object' ? options.scenario : loadScenario(options.scenario ?? DEFAULT_SCENARIO);
  const dns = await startLabDns(scenario.zone, { host: '127.0.0.1', port: options.port ?? 0 });
  const resolver = new DnsClient({ servers: [{ host: dns.host, port: dns.port }], timeoutMs: 1000, retries: 1 });
  return {
    scenario,
    dns,
    resolver,
    address: `${dns.host}:${dns.port}`,
    async close() {
      resolver.close?.();
      await dns.close();
    },
  };
}
