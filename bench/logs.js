// bench:logs — generates a 500 MB Postfix + Dovecot log in /tmp and reports the throughput of
// `mailcomply logs anonymize` (default policy, one process; then --threads, and Crypto-PAn), and of
// anonip and a perl one-liner on the same file when they are installed. Deletes its files afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  readFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { generateLog } from './logs-gen.js';

const SIZE_MB = Number(process.env.BENCH_LOG_MB ?? 500);
const cli = fileURLToPath(import.meta.resolve('../dist/cli/main.js'));
const dir = mkdtempSync(join(tmpdir(), 'mailcomply-bench-logs-'));
const log = join(dir, 'mail.log');
const key = join(dir, 'key');

/**
 * Runs a command with stdout to /dev/null under /usr/bin/time: wall seconds, CPU seconds (user+sys,
 * which a busy shared machine distorts less than wall time) and peak RSS.
 */
function timed(cmd, args) {
  const stats = join(dir, 'time.out');
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-o', stats, '-f', '%e %U %S %M', cmd, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const [wall, user, sys, kb] = readFileSync(stats, 'utf8')
        .trim()
        .split('\n')
        .pop()
        .split(' ')
        .map(Number);
      resolve({ s: wall, cpu: user + sys, peak: kb / 1024, code, err });
    });
  });
}

function installed(tool) {
  if (tool === '/usr/bin/time') return spawnSync('/usr/bin/time', ['true']).status === 0;
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

async function report(label, cmd, args, bytes) {
  const r = await timed(cmd, args);
  if (r.code !== 0) {
    console.log(`${label.padEnd(50)} failed (exit ${r.code}): ${r.err.trim().slice(0, 200)}`);
    return;
  }
  const mbs = (t) => (bytes / 1e6 / t).toFixed(1).padStart(7);
  console.log(
    `${label.padEnd(50)} ${mbs(r.s)} MB/s wall (${r.s.toFixed(2)} s), ${mbs(r.cpu)} MB/s per CPU-second, peak RSS ${r.peak.toFixed(0)} MB`,
  );
}

try {
  const t0 = performance.now();
  const bytes = generateLog(log, SIZE_MB * 1e6);
  const lines = Number(spawnSync('wc', ['-l', log]).stdout.toString().trim().split(' ')[0]);
  console.log(
    `generated ${(bytes / 1e6).toFixed(0)} MB, ${lines} lines of Postfix + Dovecot log in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  writeFileSync(key, `${'5a'.repeat(32)}\n`);
  chmodSync(key, 0o600);
  const anon = (extra) => [
    'logs',
    'anonymize',
    '--in',
    log,
    '--out',
    '/dev/null',
    '--key-file',
    key,
    '--quiet',
    ...extra,
  ];
  await report('mailcomply logs anonymize (default policy)', process.execPath, [cli, ...anon([])], bytes);
  await report(
    'mailcomply logs anonymize --threads 2',
    process.execPath,
    [cli, ...anon(['--threads', '2'])],
    bytes,
  );
  const policy = join(dir, 'cpan.yaml');
  writeFileSync(policy, 'ip: crypto-pan\n');
  await report(
    'mailcomply logs anonymize (Crypto-PAn)',
    process.execPath,
    [cli, ...anon(['--policy', policy])],
    bytes,
  );
  // Rotated logs are gzip: .gz in, .gz out. Compression dominates there; with --threads each lane
  // compresses its own blocks as gzip members.
  const gz = join(dir, 'mail.log.gz');
  await pipeline(createReadStream(log), createGzip({ level: 6 }), createWriteStream(gz));
  const gzOut = join(dir, 'out.log.gz');
  const anonGz = (extra) => [
    'logs',
    'anonymize',
    '--in',
    gz,
    '--out',
    gzOut,
    '--key-file',
    key,
    '--quiet',
    ...extra,
  ];
  await report('logs anonymize .gz -> .gz (MB/s of text)', process.execPath, [cli, ...anonGz([])], bytes);
  rmSync(gzOut, { force: true });
  await report(
    'logs anonymize .gz -> .gz --threads 2',
    process.execPath,
    [cli, ...anonGz(['--threads', '2'])],
    bytes,
  );
  rmSync(gz, { force: true });
  rmSync(gzOut, { force: true });
  if (installed('anonip')) {
    // anonip runs at a few MB/s: it gets the first 50 MB of the same log (whole lines), to keep the run short.
    const slice = join(dir, 'slice.log');
    const fd = openSync(log, 'r');
    const buf = Buffer.alloc(50e6);
    const head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
    closeSync(fd);
    writeFileSync(slice, head.subarray(0, head.lastIndexOf(10) + 1));
    await report(
      'anonip --regex (first IP per line; 50 MB)',
      'anonip',
      [
        '-4',
        '8',
        '-6',
        '80',
        '--input',
        slice,
        '--output',
        '/dev/null',
        '--regex',
        '.*?(?:\\[|rip=)([0-9a-fA-F]*[.:][0-9a-fA-F:.]+)[],]',
      ],
      statSync(slice).size,
    );
  } else console.log(`${'anonip'.padEnd(50)} not installed`);
  if (installed('perl')) {
    await report(
      'perl -pe (IPv4 /24 only)',
      'perl',
      ['-pe', 's/\\b(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})\\.\\d{1,3}\\b/$1.0/g', log],
      bytes,
    );
  } else console.log(`${'perl'.padEnd(50)} not installed`);
  console.log(
    `input size ${(statSync(log).size / 1e6).toFixed(0)} MB; machine: ${(await import('node:os')).cpus().length} CPUs`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
