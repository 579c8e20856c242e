// Benchmark: `npm run bench:resolver [-- --clients 50 --seconds 5 --domains 1000]`.
// Fills a policy cache with N enforce policies, starts `mailcomply mta-sts-resolver` on it in its own
// process (as Postfix would find it), and has C concurrent socketmap clients over loopback look up
// cached domains back to back for S seconds. Prints lookups/s and latency percentiles. The resolver
// is pointed at a DNS server that does not exist: a cached answer that touched the network would
// show up as a timeout, not as a fast reply.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyCache } from '../dist/mta/sts-resolver/cache.js';
import { NetstringDecoder, encodeNetstring } from '../dist/mta/sts-resolver/netstring.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const clients = arg('clients', 50);
const seconds = arg('seconds', 5);
const domains = arg('domains', 1000);

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-bench-sts-'));
const cacheFile = join(dir, 'sts.sqlite');
const now = Date.now();
const cache = new PolicyCache(cacheFile);
for (let i = 0; i < domains; i++) {
  cache.put({
    domain: `d${i}.bench.example`,
    dane: 'none',
    checkedAt: now,
    policy: {
      id: `id${i}`,
      mode: 'enforce',
      mx: [`mx1.d${i}.bench.example`, `*.d${i}.bench.example`],
      maxAge: 604800,
      fetchedAt: now,
      expiresAt: now + 604800_000,
    },
  });
}
cache.close();

const child = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
    'dist/cli/main.js',
    'mta-sts-resolver',
    '--listen',
    'inet:127.0.0.1:0',
    '--cache',
    cacheFile,
    '--resolver',
    '127.0.0.1:9',
    '--log-level',
    'warn',
  ],
  { stdio: ['ignore', 'inherit', 'pipe'] },
);
const port = await new Promise((resolve, reject) => {
  let buf = '';
  child.stderr.on('data', (d) => {
    buf += d;
    const m = /listening on inet:127\.0\.0\.1:(\d+)/.exec(buf);
    if (m) resolve(Number(m[1]));
  });
  const onExit = (code) => reject(new Error(`resolver exited (${code}): ${buf}`));
  child.once('exit', onExit);
}).finally(() => child.removeAllListeners('exit'));

// Requests are framed once up front and latencies kept in a typed array, so the clients (which
// share the machine with the resolver) spend their time on the socket, not on allocation.
const requests = Array.from({ length: domains }, (_, i) => encodeNetstring(`postfix d${i}.bench.example`));
let latencies = new Float64Array(1 << 20);
let answered = 0;
let wrong = 0;
const deadline = performance.now() + seconds * 1000;

function client(n) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const decoder = new NetstringDecoder(100_000);
    let i = n;
    let sent = 0;
    const next = () => {
      if (performance.now() >= deadline) {
        socket.end();
        return resolve();
      }
      i = (i + clients) % domains;
      sent = performance.now();
      socket.write(requests[i]);
    };
    socket.on('data', (chunk) => {
      for (const reply of decoder.push(chunk)) {
        if (answered === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[answered++] = performance.now() - sent;
        if (!reply.toString().startsWith('OK secure match=')) wrong++;
        next();
      }
    });
    socket.on('error', reject);
    socket.once('connect', next);
  });
}

const started = performance.now();
await Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
const elapsed = (performance.now() - started) / 1000;
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
rmSync(dir, { recursive: true, force: true });

latencies = latencies.subarray(0, answered).sort();
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
console.log(
  `mta-sts-resolver socketmap, ${domains} cached enforce policies, ${clients} concurrent clients, ${seconds} s`,
);
console.log(`  lookups:     ${answered} (${wrong} unexpected replies)`);
console.log(`  lookups/s:   ${Math.round(answered / elapsed)}`);
console.log(
  `  latency ms:  p50 ${pct(50).toFixed(3)}  p90 ${pct(90).toFixed(3)}  p99 ${pct(99).toFixed(3)}  max ${latencies[latencies.length - 1].toFixed(3)}`,
);
if (wrong > 0) process.exitCode = 1;
