import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { DnsClient } from '../../src/dns/client.js';
import { scanDomain } from '../../src/domain/scan.js';
import type { LabDnsServer } from '../../src/lab/dns-server.js';
import { startLabDns } from '../../src/lab/dns-server.js';
import { loadScenario } from '../../src/lab/scenario.js';
import type { DnsStack } from './dns-stack.js';
import { startDnsStack } from './dns-stack.js';
import { BOGUS, SIGNED, UNSIGNED, ZONES_YAML, systemZones } from './stack-zones.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const COMPARED = /^(spf|dmarc|mx)\./;

let stack: DnsStack;
let client: DnsClient;

beforeAll(async () => {
  stack = await startDnsStack((await systemZones()).stack);
  client = new DnsClient({ servers: [stack.resolver], timeoutMs: 2000, retries: 1 });
});
afterAll(async () => {
  client?.close();
  await stack?.close();
});

/** The part of a verdict both servers must agree on, sortable and readable in a diff. */
function verdicts(findings: Finding[], pattern: RegExp): string[] {
  return findings
    .filter((f) => pattern.test(f.id))
    .map((f) => `${f.id} ${f.status} ${f.severity}`)
    .sort();
}

function byId(findings: Finding[], id: string): Finding | undefined {
  return findings.find((f) => f.id === id);
}

describe('DnsClient through a validating unbound', () => {
  it('sees AD on the signed zone', async () => {
    const r = await client.query(SIGNED, 'MX');
    expect(r.rcode).toBe('NOERROR');
    expect(r.ad).toBe(true);
    expect(r.answers.map((a) => a.data)).toEqual([{ preference: 10, exchange: `mx1.${SIGNED}` }]);
    expect(r.server).toBe(`${stack.resolver.host}:${stack.resolver.port}`);
  });

  it('sees AD on signed TXT answers and on authenticated NXDOMAIN', async () => {
    const dmarc = await client.query(`_dmarc.${SIGNED}`, 'TXT');
    expect(dmarc).toMatchObject({ rcode: 'NOERROR', ad: true });
    expect(dmarc.answers[0]?.data.text).toMatch(/^v=DMARC1; p=reject;/);
    const nx = await client.query(`nowhere.${SIGNED}`, 'TXT');
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', ad: true, answers: [] });
  });

  it('does not see AD on the unsigned zone', async () => {
    const r = await client.query(UNSIGNED, 'MX');
    expect(r.rcode).toBe('NOERROR');
    expect(r.ad).toBe(false);
    expect(r.answers).toHaveLength(1);
    const spf = await client.query(UNSIGNED, 'TXT');
    expect(spf.ad).toBe(false);
    expect(spf.answers.map((a) => a.data.text)).toContain('v=spf1 +all');
  });

  it('gets SERVFAIL, as data, for the zone with expired signatures', async () => {
    const r = await client.query(BOGUS, 'MX');
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.ad).toBe(false);
    expect(r.answers).toEqual([]);
  });
});

describe('scanDomain through NSD + unbound', () => {
  it('passes dnssec.domain on the signed zone', async () => {
    const report = await scanDomain(SIGNED, { resolver: client });
    expect(report.domain).toBe(SIGNED);
    expect(byId(report.findings, 'dnssec.domain')?.status).toBe('pass');
  });

  it('does not pass dnssec.domain on the unsigned zone', async () => {
    const report = await scanDomain(UNSIGNED, { resolver: client });
    const dnssec = byId(report.findings, 'dnssec.domain');
    expect(dnssec).toBeDefined();
    expect(dnssec?.status).not.toBe('pass');
    expect(dnssec?.severity).not.toBe('info');
  });

  it('does not pass dnssec.domain on the bogus zone, whose answers never arrive', async () => {
    const report = await scanDomain(BOGUS, { resolver: client, timeoutS: 20 });
    const dnssec = byId(report.findings, 'dnssec.domain');
    expect(dnssec).toBeDefined();
    expect(dnssec?.status).not.toBe('pass');
  });
});

describe('the built-in lab agrees with the real servers on the same records', () => {
  let lab: LabDnsServer;
  let labClient: DnsClient;

  beforeAll(async () => {
    const scenario = loadScenario(ZONES_YAML);
    expect(scenario.zone.signedZones).toEqual([SIGNED]);
    lab = await startLabDns(scenario.zone, { host: '127.0.0.1', port: 0 });
    labClient = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 1000, retries: 1 });
  });
  afterAll(async () => {
    labClient?.close();
    await lab?.close();
  });

  for (const domain of [SIGNED, UNSIGNED]) {
    it(`gives the same SPF, DMARC and MX verdicts for ${domain}`, async () => {
      const real = await scanDomain(domain, { resolver: client });
      const simulated = await scanDomain(domain, { resolver: labClient });
      const fromReal = verdicts(real.findings, COMPARED);
      expect(fromReal.some((v) => v.startsWith('spf.'))).toBe(true);
      expect(fromReal.some((v) => v.startsWith('dmarc.'))).toBe(true);
      expect(fromReal.some((v) => v.startsWith('mx.'))).toBe(true);
      expect(verdicts(simulated.findings, COMPARED)).toEqual(fromReal);
      // The lab's AD bit stands in for unbound's validation; it must say the same.
      expect(verdicts(simulated.findings, /^dnssec\./)).toEqual(verdicts(real.findings, /^dnssec\./));
    });
  }

  it('tells the strict zone from the weak one', async () => {
    const good = await scanDomain(SIGNED, { resolver: client });
    const weak = await scanDomain(UNSIGNED, { resolver: client });
    const failing = (fs: Finding[], family: string): Finding[] =>
      fs.filter((f) => f.id.startsWith(`${family}.`) && (f.status === 'fail' || f.status === 'warn'));
    for (const family of ['spf', 'dmarc']) {
      expect(failing(good.findings, family), `${family} on ${SIGNED}`).toEqual([]);
      expect(failing(weak.findings, family).length, `${family} on ${UNSIGNED}`).toBeGreaterThan(0);
    }
  });
});

describe('the CLI against NSD + unbound', () => {
  it('scans the signed zone and reports JSON with a passing DNSSEC verdict', async () => {
    expect(existsSync(CLI), `${CLI} missing: run "npm run build" (test/system/run.sh does)`).toBe(true);
    const resolver = `${stack.resolver.host}:${stack.resolver.port}`;
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [CLI, 'scan', SIGNED, '--resolver', resolver, '--format', 'json'],
          { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
          (err, out, errOut) => {
            const exit = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
            resolve({ code: exit, stdout: out, stderr: errOut });
          },
        );
      },
    );
    expect(code, stderr).toBe(0);
    const run = JSON.parse(stdout) as {
      schema: number;
      resolvers: string[];
      domains: { domain: string; findings: Finding[] }[];
    };
    expect(run.schema).toBe(1);
    expect(run.resolvers).toEqual([resolver]);
    expect(run.domains.map((d) => d.domain)).toEqual([SIGNED]);
    const findings = run.domains[0]?.findings ?? [];
    expect(byId(findings, 'dnssec.domain')?.status).toBe('pass');
    // Same verdicts as the in-process scan through the same resolver.
    const inProcess = await scanDomain(SIGNED, { resolver: client });
    expect(verdicts(findings, COMPARED)).toEqual(verdicts(inProcess.findings, COMPARED));
  });
});
