// Benchmark: `npm run bench:processors`.
// Scans every built-in lab domain (DNS records only) twice through one in-process lab resolver,
// without and with processor discovery, counting the queries the scan sends to the resolver, and
// prints both counts, the overhead and the time taken.
import { scanDomains } from '../dist/domain/scan.js';
import { startLab } from '../dist/lab/lab.js';
import { defaultCatalog, processorStep } from '../dist/providers/index.js';

function counting(inner) {
  let n = 0;
  return { resolver: { query: (name, type, o) => (n++, inner.query(name, type, o)) }, count: () => n };
}

let t = performance.now();
const catalog = defaultCatalog();
const loadMs = performance.now() - t;
const lab = await startLab({ dnsOnly: true });
try {
  const domains = lab.scenario.scanDomains;
  const plain = counting(lab.resolver);
  t = performance.now();
  await scanDomains(domains, { resolver: plain.resolver, timeoutS: 10 });
  const plainMs = performance.now() - t;
  const withDiscovery = counting(lab.resolver);
  t = performance.now();
  const reports = await scanDomains(domains, {
    resolver: withDiscovery.resolver,
    timeoutS: 10,
    processors: processorStep({}, catalog),
  });
  const discMs = performance.now() - t;
  const found = reports.reduce((n, r) => n + (r.processors?.length ?? 0), 0);
  const overhead = ((withDiscovery.count() / plain.count() - 1) * 100).toFixed(1);
  console.log(`catalogue: ${catalog.providers.length} providers, loaded in ${loadMs.toFixed(0)} ms`);
  console.log(`${domains.length} lab domains, DNS record checks`);
  console.log(`  without discovery: ${plain.count()} queries, ${plainMs.toFixed(0)} ms`);
  console.log(
    `  with discovery:    ${withDiscovery.count()} queries, ${discMs.toFixed(0)} ms (${found} processors found)`,
  );
  console.log(`  query overhead:    ${overhead}%`);
} finally {
  await lab.close();
}
