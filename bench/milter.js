// Benchmark: `npm run bench:milter [-- --connections 50 --messages 20000 --rate 2000]`.
// Runs `mailcomply milter` (built-in policy) in its own process, as Postfix would reach it, and
// drives it from this process with C concurrent connections speaking the milter protocol as
// Postfix does (option negotiation with every flag Postfix offers, connect once per connection,
// then per message: macros, MAIL, RCPT, 14 header fields, end of headers, end of message). Each
// message carries internal Received hops, X-Originating-IP and User-Agent, so every one is edited.
// Prints, paced at --rate and then unpaced, messages/s and the p50/p99/max time from writing a
// message to the milter's final answer (the latency the milter adds to each message).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MilterClient } from '../dist/milter/client.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const connections = arg('connections', 50);
const total = arg('messages', 20_000);
const targetRate = arg('rate', 2000);

const child = spawn(
  process.execPath,
  ['dist/cli/main.js', 'milter', '--listen', 'inet:127.0.0.1:0', '--log-level', 'warn'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
// The milter never outlives the benchmark, even when a run fails.
process.on('exit', () => child.kill('SIGKILL'));
const spec = await new Promise((resolve, reject) => {
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    const m = /listening on inet:([\d.]+):(\d+)/.exec(buf);
    if (m) resolve({ kind: 'inet', host: m[1], port: Number(m[2]) });
  });
  child.once('exit', (code) => reject(new Error(`milter exited early (${code})`)));
});

const headers = (n) => [
  {
    name: 'Received',
    value: ` from ws${n % 250}.corp.example (ws${n % 250}.lan [10.1.${n % 250}.7])\n\tby submit.example.org (Postfix) with ESMTPSA id ${n};\n\tMon, 2 Nov 2026 10:00:00 +0100`,
  },
  {
    name: 'Received',
    value:
      ' from [192.168.7.2] (helo=outlook)\n\tby hub.example.org with ESMTP; Mon, 2 Nov 2026 09:59:58 +0100',
  },
  {
    name: 'Received',
    value:
      ' from mail.example.net (mail.example.net [198.51.100.20])\n\tby hub.example.org with ESMTPS; Mon, 2 Nov 2026 09:59:57 +0100',
  },
  {
    name: 'DKIM-Signature',
    value:
      ' v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\n\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n\tb=dGVzdHNpZ25hdHVyZXRlc3RzaWduYXR1cmV0ZXN0c2lnbmF0dXJl',
  },
  { name: 'From', value: ' Alice Example <alice@example.org>' },
  { name: 'To', value: ' Bob <bob@example.net>' },
  { name: 'Subject', value: ` Quarterly figures ${n}` },
  { name: 'Date', value: ' Mon, 2 Nov 2026 10:00:00 +0100' },
  { name: 'Message-ID', value: ` <${n}.abc@ws17.corp.example>` },
  { name: 'MIME-Version', value: ' 1.0' },
  { name: 'Content-Type', value: ' text/plain; charset=utf-8' },
  { name: 'X-Originating-IP', value: ' [10.1.2.7]' },
  { name: 'User-Agent', value: ' Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Thunderbird/128.3.0' },
  { name: 'X-Mailer', value: ' Microsoft Outlook 16.0' },
];

/**
 * One run: `connections` workers share `count` messages. With `rate`, message k is sent at
 * k / rate seconds (or as soon as its connection is free, the achieved rate shows any shortfall);
 * without it every worker sends its next message as soon as the previous one is answered. Latency
 * is from writing a message to reading the milter's final answer: what the MTA waits per message.
 */
/** CPU seconds (user + system) the milter process has used so far (Linux /proc; clock ticks of 10 ms). */
function serverCpu() {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function run(count, rate) {
  const latencies = new Float64Array(count);
  let next = 0;
  let edited = 0;
  const clients = await Promise.all(
    Array.from({ length: connections }, async (_, id) => {
      const c = await MilterClient.open(spec);
      const address = `203.0.113.${id % 250}`;
      await c.connectInfo({ hostname: `client${id}.example.org`, family: '4', port: 40000 + id, address });
      return c;
    }),
  );
  const t0 = performance.now();
  const cpu0 = serverCpu();
  await Promise.all(
    clients.map(async (c, id) => {
      for (;;) {
        const n = next++;
        if (n >= count) break;
        const due = rate ? t0 + (n * 1000) / rate : performance.now();
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const sentAt = performance.now();
        const r = await c.send({
          mailMacros: { '{auth_authen}': `user${id}`, '{auth_type}': 'PLAIN' },
          sender: `user${id}@example.org`,
          recipients: ['bob@example.net'],
          headers: headers(n),
        });
        latencies[n] = performance.now() - sentAt;
        if (r.action !== 'accept') throw new Error(`message ${n}: ${r.action}`);
        if (r.edits.length > 0) edited++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpuPerMessage = ((serverCpu() - cpu0) / count) * 1e6;
  await Promise.all(clients.map((c) => c.close()));
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return {
    rate: count / seconds,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: sorted[sorted.length - 1],
    edited,
    cpuPerMessage,
  };
}

const show = (label, r, count) =>
  console.log(
    `  ${label.padEnd(26)} ${r.rate.toFixed(0).padStart(6)} msgs/s   p50 ${r.p50.toFixed(2)} ms   p90 ${r.p90.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   max ${r.max.toFixed(2)} ms   milter CPU ${r.cpuPerMessage.toFixed(0)} µs/msg   edited ${r.edited}/${count}`,
  );

console.log(`milter benchmark: ${connections} connections over loopback, built-in policy`);
await run(2_000, 0); // warm-up: JIT, socket buffers
const paced = await run(total, targetRate);
show(`paced at ${targetRate} msgs/s:`, paced, total);
const flat = await run(total, 0);
show('as fast as possible:', flat, total);
child.kill('SIGTERM');
const met = paced.rate >= targetRate * 0.98 && paced.p99 < 5;
console.log(`  target (>= 2000 msgs/s with p99 < 5 ms): ${met ? 'met' : 'NOT met'}`);
