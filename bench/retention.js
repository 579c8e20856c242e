// bench:retention — a Maildir Junk folder of BENCH_MESSAGES messages (half past the retention age) and
// BENCH_LOG_FILES rotated logs; reports how long `mailcomply retention plan` and `retention apply --yes`
// take (wall seconds, messages/s, peak RSS). Deletes its files afterwards.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const LOG_FILES = Number(process.env.BENCH_LOG_FILES ?? 20);
const LOG_LINES = 20_000;
const cli = fileURLToPath(import.meta.resolve('../dist/cli/main.js'));
const dir = mkdtempSync(join(tmpdir(), 'mailcomply-bench-retention-'));

function timed(args) {
  const stats = join(dir, 'time.out');
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-o', stats, '-f', '%e %M', process.execPath, cli, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.on('close', (code) => {
      const [wall, rssKb] = readFileSync(stats, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      resolve({ code, wall, rssMb: rssKb / 1024 });
    });
  });
}

try {
  const junk = join(dir, 'Maildir', '.Junk');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(junk, sub), { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < MESSAGES; i++) {
    const t = i % 2 ? now - 90 * 86400 - i : now - 3600 - i;
    const date = new Date(t * 1000).toUTCString();
    writeFileSync(
      join(junk, 'cur', `${t}.M${i}P1.mx:2,S`),
      `Return-Path: <s${i}@example.net>\nDate: ${date}\nFrom: s${i}@example.net\nSubject: offer ${i}\n\n${'spam body\n'.repeat(20)}`,
    );
  }
  const logs = join(dir, 'log');
  mkdirSync(logs);
  writeFileSync(join(logs, 'mail.log'), '');
  let logBytes = 0;
  for (let f = 1; f <= LOG_FILES; f++) {
    const lines = [];
    for (let i = 0; i < LOG_LINES; i++) {
      lines.push(
        `Jan  ${1 + (f % 9)} 10:00:${String(i % 60).padStart(2, '0')} mx postfix/smtpd[${i}]: connect from h${i}.example.net[192.0.2.${i % 250}]`,
      );
    }
    const text = `${lines.join('\n')}\n`;
    logBytes += text.length;
    writeFileSync(join(logs, `mail.log.${f}`), text);
    utimesSync(join(logs, `mail.log.${f}`), new Date('2024-01-11'), new Date('2024-01-11'));
  }
  const config = join(dir, 'mailcomply.yaml');
  writeFileSync(
    config,
    `retention:\n  evidence: evidence.jsonl\n  stores:\n    - { name: junk, type: maildir, path: Maildir/.Junk, maxAge: 30d }\n    - { name: mail-log, type: log, path: log/mail.log, maxAge: 30d, action: anonymize }\n`,
  );
  const plan = await timed([
    '--config',
    config,
    'retention',
    'plan',
    '--format',
    'json',
    '--out',
    join(dir, 'plan.json'),
  ]);
  const apply = await timed([
    '--config',
    config,
    'retention',
    'apply',
    '--plan',
    join(dir, 'plan.json'),
    '--quiet',
  ]);
  console.log(
    `retention: ${MESSAGES} Maildir messages (${MESSAGES / 2} due) + ${LOG_FILES} rotated logs (${(logBytes / 1e6).toFixed(0)} MB, all due, anonymize)`,
  );
  console.log(
    `  plan : ${plan.wall.toFixed(2)} s, ${(MESSAGES / plan.wall).toFixed(0)} messages/s examined, peak RSS ${plan.rssMb.toFixed(0)} MB, exit ${plan.code}`,
  );
  console.log(
    `  apply: ${apply.wall.toFixed(2)} s (re-plans, deletes ${MESSAGES / 2}, anonymises the logs, appends evidence), peak RSS ${apply.rssMb.toFixed(0)} MB, exit ${apply.code}`,
  );
  console.log(
    `  evidence record: ${(readFileSync(join(dir, 'evidence.jsonl')).length / 1024).toFixed(0)} KiB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
