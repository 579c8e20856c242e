// Header exposure analysis throughput: generates a 10,000-message Maildir (hot page cache), runs
// `headers analyze` over it in-process and through the CLI, and prints MB/s. Also times the
// streaming sanitiser on one 50 MB message. Run with `npm run bench:headers` (builds first).
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { Writable } from 'node:stream';
import { analyzePaths } from '../dist/message/analyze-run.js';
import { defaultHeaderPolicy } from '../dist/message/policy.js';
import { sanitizeMessage } from '../dist/message/sanitize-stream.js';

const MESSAGES = Number(process.env.MESSAGES ?? 10_000);
const root = mkdtempSync(join(tmpdir(), 'mailcomply-bench-headers-'));
const maildir = join(root, 'Maildir');
for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });

// Deterministic pseudo-random sizes so runs are comparable.
let seed = 42;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const agents = [
  'Mozilla/5.0 Thunderbird/115.6.0',
  'Microsoft Outlook 16.0',
  'Apple Mail (2.3774)',
  'Evolution 3.46',
];
const bodyLine = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n';
let totalBytes = 0;
for (let i = 0; i < MESSAGES; i++) {
  const internal = rand(3) === 0;
  const hops = [
    `Received: from mx${rand(9)}.example.org (mx.example.org [192.0.2.${rand(250)}])\r\n\tby mx.example.net (Postfix) with ESMTPS id ${i.toString(16)}\r\n\tfor <user${i}@example.net>; Tue, 6 Jan 2026 10:00:00 +0000 (UTC)`,
    internal
      ? `Received: from ws${rand(99)}.corp.local (unknown [10.${rand(255)}.${rand(255)}.${rand(255)}])\r\n\t(Authenticated sender: user${i}@example.org)\r\n\tby mail.example.org (Postfix) with ESMTPSA id ${i};\r\n\tTue, 6 Jan 2026 09:59:59 +0000 (UTC)`
      : `Received: from mail.example.org (mail.example.org [192.0.2.7])\r\n\tby mx${rand(9)}.example.org (Postfix) with ESMTP id ${i}; Tue, 6 Jan 2026 09:59:59 +0000`,
  ];
  const head = [
    ...hops,
    'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\r\n\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\tb=' +
      'A'.repeat(344),
    `Message-ID: <${i}.${rand(1e6)}@${internal ? 'laptop.lan' : 'example.org'}>`,
    'Date: Tue, 6 Jan 2026 10:59:59 +0100',
    `From: =?UTF-8?Q?J=C3=BCrgen_${i}?= <sender${i}@example.org>`,
    `To: user${i}@example.net`,
    `Subject: =?UTF-8?B?${Buffer.from(`Bericht Nr. ${i} – Übersicht`).toString('base64')}?=`,
    `User-Agent: ${agents[rand(agents.length)]}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    '',
    '',
  ].join('\r\n');
  const body = bodyLine.repeat(20 + rand(300)); // ~1.6–25 KB bodies
  const buf = Buffer.from(head + body);
  totalBytes += buf.length;
  writeFileSync(join(maildir, i % 2 ? 'cur' : 'new', `${1767686400 + i}.M${i}P1.bench:2,S`), buf);
}
const mb = totalBytes / 1e6;
console.log(
  `Maildir: ${MESSAGES} messages, ${mb.toFixed(1)} MB (avg ${(totalBytes / MESSAGES / 1024).toFixed(1)} KiB)`,
);

// In-process, best of 3 (the first run also warms the JIT).
let best = Infinity;
let bestCpu = Infinity;
let run;
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  const c = process.cpuUsage();
  run = analyzePaths([maildir]);
  best = Math.min(best, performance.now() - t);
  const used = process.cpuUsage(c);
  bestCpu = Math.min(bestCpu, (used.user + used.system) / 1000);
}
const s = best / 1000;
// CPU time as well as wall time: on a shared, loaded machine the wall figure includes waiting for a core.
console.log(
  `load average: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(
  `analyze CPU time (best of 3): ${(bestCpu / 1000).toFixed(3)} s — ${(mb / (bestCpu / 1000)).toFixed(0)} MB/s of Maildir per core`,
);
console.log(
  `analyze (in-process, best of 3): ${s.toFixed(3)} s — ${(mb / s).toFixed(0)} MB/s of Maildir, ` +
    `${(run.aggregate.bytes / 1e6 / s).toFixed(0)} MB/s of header bytes, ${(MESSAGES / s).toFixed(0)} msgs/s`,
);
console.log(
  `  findings: ${Object.entries(run.aggregate.byFinding)
    .map(([id, n]) => `${id}=${n}`)
    .join(' ')}`,
);

// Through the CLI, JSON to a file: what an administrator runs.
const out = join(root, 'report.json');
let t = performance.now();
execFileSync(process.execPath, [
  'dist/cli/main.js',
  'headers',
  'analyze',
  maildir,
  '--format',
  'json',
  '--out',
  out,
]);
let cli = (performance.now() - t) / 1000;
console.log(
  `analyze (CLI, --format json, process start included): ${cli.toFixed(3)} s — ${(mb / cli).toFixed(0)} MB/s`,
);

// Sanitiser: one 50 MB message streamed through sanitizeMessage.
const big = join(root, 'big.eml');
const chunk = Buffer.alloc(1024 * 1024, 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n');
const parts = [
  Buffer.from(
    'Received: from ws1.corp.local (unknown [10.1.2.3])\r\n\tby mail.example.org; Tue, 6 Jan 2026\r\nUser-Agent: x\r\nSubject: big\r\n\r\n',
  ),
];
for (let i = 0; i < 50; i++) parts.push(chunk);
writeFileSync(big, Buffer.concat(parts));
const rss0 = process.memoryUsage().rss;
let peak = 0;
const sink = new Writable({
  write(_c, _e, cb) {
    peak = Math.max(peak, process.memoryUsage().rss - rss0);
    cb();
  },
});
t = performance.now();
await sanitizeMessage(createReadStream(big), sink, defaultHeaderPolicy());
cli = (performance.now() - t) / 1000;
console.log(
  `sanitize 50 MB message: ${cli.toFixed(3)} s — ${(52.4 / cli).toFixed(0)} MB/s, RSS growth ${(peak / 1e6).toFixed(1)} MB`,
);

rmSync(root, { recursive: true, force: true });
