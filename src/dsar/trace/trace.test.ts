import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receivedHops, renderTraceDot, renderTraceMermaid, renderTraceText, traceMessage } from './index.js';

const MX1 = `Nov 27 10:00:00 mx1 postfix/smtpd[100]: connect from sender.example[192.0.2.10]
Nov 27 10:00:00 mx1 postfix/smtpd[100]: Anonymous TLS connection established from sender.example[192.0.2.10]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
Nov 27 10:00:01 mx1 postfix/smtpd[100]: 4AB12C3D4E: client=sender.example[192.0.2.10]
Nov 27 10:00:01 mx1 postfix/cleanup[101]: 4AB12C3D4E: message-id=<abc@sender.example>
Nov 27 10:00:01 mx1 postfix/qmgr[102]: 4AB12C3D4E: from=<alice@sender.example>, size=1234, nrcpt=1 (queue active)
Nov 27 10:00:01 mx1 postfix/smtpd[100]: disconnect from sender.example[192.0.2.10] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7
Nov 27 10:00:01 mx1 postfix/smtpd[100]: connect from other.example[192.0.2.11]
Nov 27 10:00:01 mx1 postfix/smtpd[100]: 1111122222: client=other.example[192.0.2.11]
Nov 27 10:00:01 mx1 postfix/cleanup[101]: 1111122222: message-id=<zzz@other.example>
Nov 27 10:00:02 mx1 postfix/smtp[103]: Trusted TLS connection established to mail2.example.org[192.0.2.20]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
Nov 27 10:00:02 mx1 postfix/smtp[103]: 4AB12C3D4E: to=<bob@example.org>, relay=mail2.example.org[192.0.2.20]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F8E7D6C5B)
Nov 27 10:00:02 mx1 postfix/qmgr[102]: 4AB12C3D4E: removed
Nov 27 10:00:03 mx1 postfix/smtp[103]: 1111122222: to=<carol@example.net>, relay=mx.example.net[192.0.2.30]:25, delay=2, dsn=4.4.1, status=deferred (connect timed out)
`;
const MAIL2 = `Nov 27 10:00:02 mail2 postfix/smtpd[200]: connect from mx1.example.org[192.0.2.1]
Nov 27 10:00:02 mail2 postfix/smtpd[200]: 9F8E7D6C5B: client=mx1.example.org[192.0.2.1]
Nov 27 10:00:02 mail2 postfix/cleanup[201]: 9F8E7D6C5B: message-id=<abc@sender.example>
Nov 27 10:00:03 mail2 postfix/lmtp[203]: 9F8E7D6C5B: to=<bob@example.org>, relay=mail2.example.org[private/dovecot-lmtp], delay=0.5, dsn=2.0.0, status=sent (250 2.0.0 <bob@example.org> kLm3Ag Saved)
Nov 27 10:00:03 mail2 dovecot: lmtp(bob@example.org)<1234><kLm3Ag>: msgid=<abc@sender.example>: saved mail to INBOX
Nov 27 10:00:04 mail2 dovecot: lmtp(dave@example.org)<1235><xx>: msgid=<zzz@other.example>: saved mail to INBOX
`;
const COPY = `Return-Path: <alice@sender.example>
Received: from mx1.example.org (mx1.example.org [192.0.2.1])
\tby mail2.example.org (Postfix) with ESMTP id 9F8E7D6C5B
\tfor <bob@example.org>; Fri, 27 Nov 2026 10:00:02 +0000 (UTC)
Received: from sender.example (sender.example [192.0.2.10])
\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
\tby mx1.example.org (Postfix) with ESMTPS id 4AB12C3D4E
\tfor <bob@example.org>; Fri, 27 Nov 2026 10:00:01 +0000 (UTC)
Message-ID: <abc@sender.example>
Subject: hi

body
`;

function files(): { mx1: string; mail2: string; copy: string } {
  const dir = mkdtempSync(join(tmpdir(), 'trace-'));
  const f = { mx1: join(dir, 'mx1.log'), mail2: join(dir, 'mail2.log'), copy: join(dir, 'copy.eml') };
  writeFileSync(f.mx1, MX1);
  writeFileSync(f.mail2, MAIL2);
  writeFileSync(f.copy, COPY);
  return f;
}

describe('traceMessage', () => {
  it('follows a message-id across hosts to the Dovecot delivery', async () => {
    const f = files();
    const t = await traceMessage('<abc@sender.example>', { logs: [f.mx1, f.mail2], year: 2026 });
    expect(t.queueIds).toEqual(['mx1/4AB12C3D4E', 'mail2/9F8E7D6C5B']);
    expect(t.hops.map((h) => [h.host, h.status, h.tls])).toEqual([
      ['mx1', 'received', true],
      ['mx1', 'sent', true],
      ['mail2', 'received', false],
      ['mail2', 'sent', undefined],
      ['mail2', 'saved', undefined],
    ]);
    expect(t.hops[1]!.nextQueueId).toBe('9F8E7D6C5B');
    expect(t.hops[1]!.tlsDetail).toMatch(/^TLSv1\.3/);
    expect(t.hops[4]!.to).toBe('mailbox INBOX');
    // The other message sharing the processes must not leak in.
    expect(JSON.stringify(t)).not.toMatch(/carol|dave|1111122222/);
    expect(t.unresolved).toEqual([]);
  });

  it('starts from a queue id and reports a hand-off to a host whose log is missing', async () => {
    const f = files();
    const t = await traceMessage('4AB12C3D4E', { logs: [f.mx1], year: 2026 });
    expect(t.messageIds).toEqual(['abc@sender.example']);
    expect(t.unresolved).toEqual(['9F8E7D6C5B']);
    expect(renderTraceText(t)).toContain('Handed over but not in the given logs: 9F8E7D6C5B');
  });

  it('does not call a deferred plaintext delivery TLS', async () => {
    const f = files();
    const t = await traceMessage('1111122222', { logs: [f.mx1], year: 2026 });
    const d = t.hops.find((h) => h.status === 'deferred');
    expect(d?.tls).toBe(false);
  });

  it('adds the Received chain of a copy, oldest hop first', async () => {
    const f = files();
    const t = await traceMessage('abc@sender.example', { logs: [f.mx1, f.mail2], copy: f.copy, year: 2026 });
    expect(t.received.map((h) => [h.host, h.queueId, h.tls, h.time])).toEqual([
      ['mx1.example.org', '4AB12C3D4E', true, '2026-11-27T10:00:01.000Z'],
      ['mail2.example.org', '9F8E7D6C5B', false, '2026-11-27T10:00:02.000Z'],
    ]);
  });

  it('renders Mermaid and DOT graphs with one edge per hop', async () => {
    const f = files();
    const t = await traceMessage('abc@sender.example', { logs: [f.mx1, f.mail2], year: 2026 });
    const mm = renderTraceMermaid(t);
    expect(mm.startsWith('flowchart LR\n')).toBe(true);
    expect(mm.match(/-->/g)).toHaveLength(4);
    expect(mm).toContain('"mx1 4AB12C3D4E"');
    expect(mm).toMatch(/TLS · sent/);
    // Dovecot's delivery hangs off the LMTP hand-off, not off a bare host node.
    expect(mm).toMatch(
      /n3\["mail2\.example\.org\[private\/dovecot-lmtp\]"\][\s\S]*n3 -->\|"10:00:03 · saved"\| n4/,
    );
    const dot = renderTraceDot(t);
    expect(dot).toMatch(/^digraph trace \{/);
    expect(dot.match(/->/g)).toHaveLength(4);
    const text = renderTraceText(t);
    expect(text).toContain('queue ids: mx1/4AB12C3D4E -> mail2/9F8E7D6C5B');
    expect(text).toMatch(/mailbox INBOX/);
  });

  it('survives hostile Received fields', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 200 }), { maxLength: 5 }), (vals) => {
        const raw = vals.map((v) => `Received: ${v.replace(/\r?\n/g, ' ')}`).join('\r\n') + '\r\n\r\nx';
        const hops = receivedHops(raw);
        expect(hops.length).toBe(vals.length);
      }),
    );
  });
});
