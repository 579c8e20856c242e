// Benchmark: `npm run bench:scan [-- --domains N --concurrency C]`.
// Serves N generated domains from the built-in lab (`mailcomply lab`, its own process, as a real
// resolver would be) and scans them all with the record checks, printing domains/s and peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnsClient } from '../dist/dns/client.js';
import { scanDomains } from '../dist/domain/scan.js';
import { generateBenchScenarioYaml } from '../dist/lab/bench-scenario.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const count = arg('domains', 1000);
const concurrency = arg('concurrency', 64);

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-bench-'));
const scenarioPath = join(dir, 'bench.yaml');
writeFileSync(scenarioPath, generateBenchScenarioYaml(count));

const lab = spawn(process.execPath, ['dist/cli/main.js', 'lab', '--scenario', scenarioPath], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const address = await new Promise((resolve, reject) => {
  let buf = '';
  lab.stdout.on('data', (d) => {
    buf += d;
    const m = /listening on (\S+):(\d+)/.exec(buf);
    if (m) resolve({ host: m[1], port: Number(m[2]) });
  });
  lab.on('exit', (code) => reject(new Error(`lab exited with ${code}`)));
});

const domains = Array.from({ length: count }, (_, i) => `d${String(i).padStart(5, '0')}.bench.example`);
const resolver = new DnsClient({ servers: [address], timeoutMs: 2000, retries: 2 });

const t0 = performance.now();
const reports = await scanDomains(domains, { resolver, concurrency, timeoutS: 30 });
const seconds = (performance.now() - t0) / 1000;
// maxRSS is the kernel's high-water mark for this process (KiB), not a sample.
const peakRss = process.resourceUsage().maxRSS * 1024;
resolver.close?.();
lab.kill('SIGTERM');

const findings = reports.flatMap((r) => r.findings);
const errors = findings.filter((f) => f.status === 'error').length;
const mb = (n) => (n / 1024 / 1024).toFixed(1);
console.log(`domains scanned:   ${count} (concurrency ${concurrency})`);
console.log(`elapsed:           ${seconds.toFixed(2)} s`);
console.log(`domains/s:         ${(count / seconds).toFixed(0)}`);
console.log(`findings:          ${findings.length} (${errors} error)`);
console.log(`peak RSS scanner:  ${mb(peakRss)} MB`);
if (errors > 0) process.exitCode = 1;
