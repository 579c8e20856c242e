// Synthetic Postfix + Dovecot log for bench:logs: realistic line shapes, a few thousand users and tens
// of thousands of client addresses (documentation ranges only), written in big blocks.
import { Buffer } from 'node:buffer';
import { openSync, writeSync, closeSync } from 'node:fs';

const MONTHS = ['Nov'];
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Writes about `bytes` bytes of log to `path`; returns the exact size. */
export function generateLog(path, bytes) {
  const r = rng(42);
  const pick = (n) => Math.floor(r() * n);
  const users = Array.from({ length: 5000 }, (_, i) => `user${i}.name${i % 97}`);
  const domains = ['example.org', 'example.net', 'example.com', 'mail.example.info'];
  const ip4 = () => `${[192, 198, 203][pick(3)]}.${pick(256)}.${pick(256)}.${1 + pick(254)}`;
  const ip6 = () =>
    `2001:db8:${pick(65536).toString(16)}:${pick(65536).toString(16)}::${pick(65536).toString(16)}`;
  const qid = () => pick(0xfffffffff).toString(16).toUpperCase().padStart(10, '0');
  const fd = openSync(path, 'w');
  let total = 0;
  let sec = 0;
  const parts = [];
  let block = 0;
  while (total < bytes) {
    sec++;
    const t = `${MONTHS[0]} ${String(1 + (Math.floor(sec / 86400) % 28)).padStart(2, ' ')} ${String(Math.floor(sec / 3600) % 24).padStart(2, '0')}:${String(Math.floor(sec / 60) % 60).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}`;
    const q = qid();
    const u = users[pick(users.length)];
    const d = domains[pick(domains.length)];
    const v = users[pick(users.length)];
    const ip = r() < 0.8 ? ip4() : ip6();
    const host = `host-${pick(9999)}.dsl.provider${pick(50)}.example`;
    const lines =
      `${t} mx1 postfix/smtpd[${1000 + pick(9000)}]: connect from ${host}[${ip}]\n` +
      `${t} mx1 postfix/smtpd[${1000 + pick(9000)}]: ${q}: client=${host}[${ip}], sasl_method=PLAIN, sasl_username=${u}\n` +
      `${t} mx1 postfix/cleanup[${1000 + pick(9000)}]: ${q}: message-id=<${q}.${pick(1e6)}@${d}>\n` +
      `${t} mx1 postfix/qmgr[${1000 + pick(9000)}]: ${q}: from=<${u}@${d}>, size=${pick(1e6)}, nrcpt=1 (queue active)\n` +
      `${t} mx1 postfix/smtp[${1000 + pick(9000)}]: ${q}: to=<${v}@${domains[pick(4)]}>, relay=mx.example.com[${ip4()}]:25, delay=${(r() * 5).toFixed(2)}, delays=0.1/0/0.3/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${qid()})\n` +
      `${t} mx1 postfix/qmgr[${1000 + pick(9000)}]: ${q}: removed\n` +
      `${t} mx1 dovecot: imap-login: Login: user=<${v}>, method=PLAIN, rip=${ip4()}, lip=192.0.2.1, mpid=${pick(99999)}, TLS, session=<${q}>\n` +
      `${t} mx1 dovecot: imap(${v})<${pick(99999)}><${q}>: Logged out in=${pick(9999)} out=${pick(99999)} deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0\n` +
      `${t} mx1 postfix/smtpd[${1000 + pick(9000)}]: disconnect from ${host}[${ip}] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8\n`;
    parts.push(lines);
    block += lines.length;
    if (block > 4 * 1024 * 1024) {
      const buf = Buffer.from(parts.join(''), 'latin1');
      writeSync(fd, buf);
      total += buf.length;
      parts.length = 0;
      block = 0;
    }
  }
  if (parts.length) {
    const buf = Buffer.from(parts.join(''), 'latin1');
    writeSync(fd, buf);
    total += buf.length;
  }
  closeSync(fd);
  return total;
}
