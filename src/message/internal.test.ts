import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractIps, isInternalHost, isInternalIp, parseIp } from './internal.js';
import { receivedClauses, clauseHosts, clauseText, rewriteFromClause } from './received.js';

describe('isInternalIp', () => {
  it.each([
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.7.7', true],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['127.0.0.1', true],
    ['169.254.10.1', true],
    ['fd12:3456::1', true],
    ['fe80::1%eth0', true],
    ['::1', true],
    ['::ffff:10.0.0.1', true],
    ['IPv6:fd00::5', true],
    ['203.0.113.7', false],
    ['2001:db8::1', false],
    ['8.8.8.8', false],
    ['not-an-ip', false],
    ['10', false],
  ])('%s → %s', (ip, expected) => {
    expect(isInternalIp(ip)).toBe(expected);
  });
});

describe('isInternalHost', () => {
  it.each([
    ['laptop', true],
    ['localhost', true],
    ['ws1.corp.local', true],
    ['nas.home.arpa', true],
    ['srv.LAN', true],
    ['db.internal', true],
    ['exch01.contoso.corp', true],
    ['mail.example.com', false],
    ['relay1.corp.example.com', false],
    ['10.0.0.1', false],
    ['[10.0.0.1]', false],
  ])('%s → %s', (name, expected) => {
    expect(isInternalHost(name)).toBe(expected);
  });

  it('includes names under the declared internal zones', () => {
    expect(isInternalHost('relay1.corp.example.com', ['corp.example.com'])).toBe(true);
    expect(isInternalHost('corp.example.com', ['corp.example.com'])).toBe(true);
    expect(isInternalHost('notcorp.example.com', ['corp.example.com'])).toBe(false);
  });
});

describe('extractIps', () => {
  it('finds IPv4 and IPv6 literals but not times or versions', () => {
    expect(
      extractIps(
        'from x ([10.0.0.1]) by y (IPv6:fd00::5) with SMTP; Tue, 6 Jan 2026 10:00:00 +0000 v1.2.3.4.5',
      ),
    ).toEqual(['10.0.0.1', 'fd00::5']);
    expect(extractIps('id 15.2.1118.40; 10:30:00')).toEqual([]);
  });

  it('finds every dotted quad it is given (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), (v4, v6) => {
        const found = extractIps(`from a (b [${v4}]) by c ([${v6}]);`);
        expect(found).toContain(v4);
        expect(found.some((f) => parseIp(f)?.toString() === parseIp(v6)?.toString())).toBe(true);
      }),
    );
  });
});

describe('Received clauses', () => {
  const v =
    ' from [192.168.1.23] (dsl.example.org [198.51.100.77])\r\n\t(Authenticated sender: by@example.com)\r\n\tby relay1 (Postfix) with ESMTPSA id 12AB9\r\n\tfor <bob@example.net>; Tue, 6 Jan 2026 10:00:00 +0000\r\n';

  it('ignores keywords inside comments and finds the date', () => {
    const c = receivedClauses(v);
    expect(clauseText(v, c.from)).toBe(
      '[192.168.1.23] (dsl.example.org [198.51.100.77]) (Authenticated sender: by@example.com)',
    );
    expect(clauseText(v, c.by)).toBe('relay1 (Postfix)');
    expect(clauseText(v, c.with)).toBe('ESMTPSA');
    expect(clauseText(v, c.for)).toBe('<bob@example.net>');
    expect(v.slice(c.dateAt)).toMatch(/^; Tue/);
  });

  it('rewrites only the from-clause, keeping folding, by, for and the date', () => {
    const c = receivedClauses(v);
    expect(rewriteFromClause(v, c.from!, 'redacted.invalid')).toBe(
      ' from redacted.invalid\r\n\tby relay1 (Postfix) with ESMTPSA id 12AB9\r\n\tfor <bob@example.net>; Tue, 6 Jan 2026 10:00:00 +0000\r\n',
    );
  });

  it('names HELO and reverse names but not software comments', () => {
    expect(clauseHosts('ws7 (ws7.corp.local [10.0.0.7])')).toEqual(['ws7', 'ws7.corp.local']);
    expect(clauseHosts('mx.example.net (Postfix)')).toEqual(['mx.example.net']);
    expect(clauseHosts('unknown (HELO laptop) ([10.0.0.2])')).toEqual(['laptop']);
  });

  it('is linear and total on hostile input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const c = receivedClauses(s);
        for (const span of [c.from, c.by, c.with, c.for])
          if (span) expect(span.start).toBeLessThanOrEqual(span.end);
      }),
    );
    const t = Date.now();
    receivedClauses('('.repeat(200_000) + ' from x by y');
    receivedClauses(' from '.repeat(100_000));
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
