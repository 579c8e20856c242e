// Benchmark: `npm run bench:scan [-- --full] [-- --domains N --concurrency C]`.
// Serves N generated domains from the built-in lab (`mailcomply lab`, in its own process, as a real
// resolver and real servers would be) and scans them all, printing domains/s and peak RSS.
// Default: DNS record checks. --full: also SMTP/STARTTLS on every MX (50 shared MX hosts, probes
// reused within the run, at most 2 connections per IP), the MTA-STS policy over HTTPS, and DANE.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnsClient } from '../dist/dns/client.js';
import { scanDomains } from '../dist/domain/scan.js';
import { ProbePool } from '../dist/domain/transport/probe-pool.js';
import { generateBenchScenarioYaml } from '../dist/lab/bench-scenario.js';
import { readConnectMap } from '../dist/lab/connect-map.js';
import { labDialer } from '../dist/lab/dialer.js';
import { LAB_PROBE_TIMEOUTS } from '../dist/lab/lab.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const full = process.argv.includes('--full');
const count = arg('domains', 1000);
const concurrency = arg('concurrency', full ? 32 : 64);

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-bench-'));
const scenarioPath = join(dir, 'bench.yaml');
writeFileSync(scenarioPath, generateBenchScenarioYaml(count, { full }));

const lab = spawn(
  process.execPath,
  ['dist/cli/main.js', 'lab', '--scenario', scenarioPath, ...(full ? ['--export', dir] : [])],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const address = await new Promise((resolve, reject) => {
  let buf = '';
  lab.stdout.on('data', (d) => {
    buf += d;
    const m = /listening on (\S+):(\d+)/.exec(buf);
    if (m && (!full || buf.includes('written to'))) resolve({ host: m[1], port: Number(m[2]) });
  });
  lab.on('exit', (code) => reject(new Error(`lab exited with ${code}`)));
});

const domains = Array.from({ length: count }, (_, i) => `d${String(i).padStart(5, '0')}.bench.example`);
const resolver = new DnsClient({ servers: [address], timeoutMs: 2000, retries: 2 });
const pool = full
  ? new ProbePool({
      dialer: labDialer(readConnectMap(join(dir, 'connect-map.json'))),
      ca: [readFileSync(join(dir, 'ca.pem'), 'utf8')],
      timeouts: LAB_PROBE_TIMEOUTS,
      perIp: 2,
    })
  : undefined;

const t0 = performance.now();
const reports = await scanDomains(domains, {
  resolver,
  concurrency,
  timeoutS: 30,
  ...(pool
    ? {
        transport: {
          dialer: labDialer(readConnectMap(join(dir, 'connect-map.json'))),
          ca: [readFileSync(join(dir, 'ca.pem'), 'utf8')],
          pool,
        },
      }
    : {}),
});
const seconds = (performance.now() - t0) / 1000;
// maxRSS is the kernel's high-water mark for this process (KiB), not a sample.
const peakRss = process.resourceUsage().maxRSS * 1024;
resolver.close();
lab.kill('SIGTERM');

const findings = reports.flatMap((r) => r.findings);
const errors = findings.filter((f) => f.status === 'error');
const mb = (n) => (n / 1024 / 1024).toFixed(1);
console.log(
  `mode:              ${full ? 'full (DNS + SMTP/STARTTLS + MTA-STS policy + DANE)' : 'DNS record checks'}`,
);
console.log(`domains scanned:   ${count} (concurrency ${concurrency})`);
console.log(`elapsed:           ${seconds.toFixed(2)} s`);
console.log(`domains/s:         ${(count / seconds).toFixed(0)}`);
if (pool) console.log(`SMTP probes:       ${pool.stats.probes} run, ${pool.stats.reused} reused`);
console.log(`findings:          ${findings.length} (${errors.length} error)`);
console.log(`peak RSS scanner:  ${mb(peakRss)} MB`);
if (errors.length > 0) {
  console.log(
    'first errors:',
    [...new Set(errors.map((e) => `${e.id}: ${e.detail.slice(0, 120)}`))].slice(0, 5),
  );
  process.exitCode = 1;
}
