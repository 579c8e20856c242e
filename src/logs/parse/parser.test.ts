import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectFormat, parseLogText } from './parser.js';
import type { LogEvent } from './types.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/logs/${name}`, import.meta.url), 'utf8');
const events = (text: string): LogEvent[] =>
  parseLogText(text, { year: 2024 }).results.flatMap((r) => (r.ok ? [r.event] : []));

describe('format detection', () => {
  it.each([
    ['journald.json', 'journald-json'],
    ['rfc5424.log', 'rfc5424'],
    ['exchange-tracking.log', 'exchange-csv'],
    ['sendmail.log', 'syslog'],
    ['maillog-file.log', 'syslog'],
    ['exim-crowdsec.log', 'exim'],
    ['dovecot-crowdsec.log', 'syslog'],
  ])('%s is %s', (file, format) => {
    expect(detectFormat(fixture(file).split('\n'))).toBe(format);
  });
});

describe('Postfix', () => {
  it('parses every postfix-grok-patterns case and agrees on queue id, client and status', () => {
    const cases = fixture('postfix-grok-cases.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(cases.length).toBeGreaterThan(150);
    let compared = 0;
    for (const c of cases) {
      // One case quotes a pipelined SMTP dialogue with raw newlines; Postfix itself would log them escaped.
      const line = `Mar  1 10:00:00 mx postfix/${c.daemon}[42]: ${c.data!.replace(/\r?\n/g, ' ')}`;
      const { results } = parseLogText(line, { year: 2024 });
      expect(results, c.case).toHaveLength(1);
      const r = results[0]!;
      expect(r.ok, c.case).toBe(true);
      if (!r.ok) continue;
      const e = r.event;
      expect(e).toMatchObject({
        source: 'postfix',
        program: `postfix/${c.daemon}`,
        pid: 42,
        time: '2024-03-01T10:00:00',
      });
      if (c.queueId && c.queueId !== 'NOQUEUE' && /^[0-9A-F]+: /.test(c.data!)) {
        expect(e.queueId, c.case).toBe(c.queueId);
        compared++;
      }
      if (c.clientIp && e.clientIp) {
        expect(e.clientIp, c.case).toBe(c.clientIp);
        compared++;
      }
      if (c.status && e.status) {
        expect(e.status, c.case).toBe(c.status);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(80);
  });

  it('extracts the delivery fields of a postfix/smtp line (RFC 5424 envelope)', () => {
    const [sent, deferred] = events(fixture('rfc5424.log'));
    expect(sent).toMatchObject({
      format: 'rfc5424',
      time: '2024-03-01T10:00:01.000+01:00',
      host: 'mx1',
      program: 'postfix/smtp',
      pid: 4300,
      queueId: '7B2C3D4E5F',
      to: ['frank@example.com'],
      relay: 'mx.example.com[198.51.100.25]:25',
      delay: 1.5,
      delays: [0.1, 0.01, 0.4, 1],
      dsn: '2.0.0',
      status: 'sent',
    });
    expect(deferred).toMatchObject({ status: 'deferred', dsn: '4.4.1', to: ['grace@example.com'] });
  });

  it('reads journald JSON exports (client, SASL user, sender; Dovecot login)', () => {
    const [client, qmgr, login] = events(fixture('journald.json'));
    expect(client).toMatchObject({
      format: 'journald-json',
      time: '2024-03-01T10:00:01.000Z',
      host: 'mx1',
      clientHost: 'dsl-1.isp.example.net',
      clientIp: '192.0.2.33',
      saslUsername: 'dave',
      saslMethod: 'PLAIN',
    });
    expect(qmgr).toMatchObject({ from: 'dave@example.org', size: 2048 });
    expect(login).toMatchObject({
      source: 'dovecot',
      service: 'imap',
      loginUser: 'erin',
      loginIp: '2001:db8:77:1::5',
      status: 'ok',
    });
  });

  it('reads maillog_file lines with microseconds and the subject of a header_checks warning', () => {
    const { results, parser } = parseLogText(fixture('maillog-file.log'), { year: 2024 });
    expect(parser.stats).toEqual({ lines: 3, parsed: 3, unparsed: 0 });
    const warn = results[1]!;
    expect(warn.ok && warn.event).toMatchObject({
      time: '2024-03-01T10:00:02.234567',
      event: 'warning',
      subject: "Meeting about judy's health",
      from: 'judy@example.org',
      to: ['ken@example.org'],
    });
  });
});

describe('Dovecot, Exim, Sendmail, Exchange', () => {
  it('reads Dovecot auth failures with user and address', () => {
    const [first] = events(fixture('dovecot-crowdsec.log'));
    expect(first).toMatchObject({
      source: 'dovecot',
      loginUser: 'toto',
      loginIp: '1.1.1.1',
      status: 'auth-failed',
    });
  });

  it('reads Exim mainlog arrivals and authenticator failures', () => {
    const [arrival] = events(
      '2024-03-01 10:00:05 1rABCD-000123-AB <= leo@example.net H=mail.example.net (helo.example.net) [192.0.2.60]:4711 P=esmtps A=plain:leo S=2345 id=m2@example.net\n',
    );
    expect(arrival).toMatchObject({
      format: 'exim',
      time: '2024-03-01T10:00:05',
      queueId: '1rABCD-000123-AB',
      event: '<=',
      from: 'leo@example.net',
      clientHost: 'mail.example.net',
      clientIp: '192.0.2.60',
      saslUsername: 'leo',
      size: 2345,
      messageId: 'm2@example.net',
    });
    const [fail] = events(fixture('exim-crowdsec.log'));
    expect(fail).toMatchObject({ clientIp: '1.2.3.4', saslUsername: 'abuse@test.com' });
  });

  it('reads Sendmail from/to lines', () => {
    const [from, to] = events(fixture('sendmail.log'));
    expect(from).toMatchObject({
      source: 'sendmail',
      queueId: '421A01x5005001',
      from: 'heidi@example.org',
      messageId: 'm1@example.org',
      clientHost: 'client.example.net',
      clientIp: '192.0.2.44',
      size: 1024,
    });
    expect(to).toMatchObject({ to: ['ivan@example.com'], dsn: '2.0.0', status: 'sent' });
  });

  it('reads Exchange message tracking CSV with quoted fields', () => {
    const { results, parser } = parseLogText(fixture('exchange-tracking.log'));
    expect(parser.detected).toBe('exchange-csv');
    expect(parser.stats).toMatchObject({ parsed: 2, unparsed: 0 });
    const e = results[0]!.ok ? results[0]!.event : undefined;
    expect(e).toMatchObject({
      source: 'exchange',
      event: 'RECEIVE',
      clientIp: '192.0.2.10',
      from: 'carol@example.net',
      to: ['alice@example.org', 'bob@example.org'],
      subject: 'Quarterly report, "draft"',
      messageId: 'abc123@example.net',
      size: 2048,
    });
  });
});

describe('bad input', () => {
  it('parses a file of mixed formats line by line and keeps what it cannot parse', () => {
    const text = `${fixture('mixed.log')}\u0000\u0001\u00ff garbage\n${'x'.repeat(1_000_000)}\n`;
    const { results, parser } = parseLogText(text, { year: 2024 });
    const sources = results.flatMap((r) => (r.ok ? [r.event.source] : []));
    expect(sources).toEqual(['postfix', 'exim', 'dovecot', 'dovecot']);
    expect(parser.stats.unparsed).toBe(3);
    const kept = results.filter((r) => !r.ok);
    expect(kept.map((r) => (r.ok ? 0 : r.text.length))).toContain(1_000_000);
  });

  it('never throws and accounts for every non-blank line', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 200 }), { maxLength: 60 }), (lines) => {
        const text = lines.map((l) => l.replace(/\n/g, ' ')).join('\n');
        const { parser } = parseLogText(text);
        const nonBlank = text.split('\n').filter((l) => l.replace(/\r$/, '').trim() !== '').length;
        expect(parser.stats.parsed + parser.stats.unparsed).toBe(nonBlank);
      }),
      { numRuns: 200 },
    );
  });
});
