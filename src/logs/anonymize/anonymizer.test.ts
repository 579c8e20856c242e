import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Anonymizer } from './anonymizer.js';
import { deriveKeys } from './keys.js';
import { parsePolicy } from './policy-file.js';
import { DEFAULT_POLICY, type AnonymizePolicy } from './policy.js';

const KEYS = deriveKeys(Buffer.from('11'.repeat(32), 'latin1'));
const make = (p: Partial<AnonymizePolicy> = {}): Anonymizer =>
  new Anonymizer({ keys: KEYS, policy: { ...DEFAULT_POLICY, ...p } });
const anon = (text: string, p: Partial<AnonymizePolicy> = {}): string => make(p).text(text);

describe('Anonymizer: Postfix, Dovecot, Exim, Sendmail lines', () => {
  it('truncates addresses, reduces client names and pseudonymises users in a Postfix smtpd line', () => {
    const out = anon(
      'Nov 27 10:00:01 mx postfix/smtpd[123]: 4BD3C1A2F: client=dsl-7.pool.example.net[192.0.2.45], sasl_method=PLAIN, sasl_username=alice\n',
    );
    expect(out).toMatch(
      /^Nov 27 10:00:01 mx postfix\/smtpd\[123\]: 4BD3C1A2F: client=example\.net\[192\.0\.2\.0\], sasl_method=PLAIN, sasl_username=u-[0-9a-f]{12}\n$/,
    );
  });

  it('keeps the domain of addresses and gives the same address the same pseudonym in two runs', () => {
    const line =
      'Nov 27 10:00:02 mx postfix/qmgr[125]: 4BD3C1A2F: from=<Alice.Smith@Example.ORG>, size=1234, nrcpt=1\n';
    const a = anon(line);
    expect(a).toMatch(/from=<u-[0-9a-f]{12}@Example\.ORG>, size=1234/);
    expect(anon(line)).toBe(a);
    // The domain is compared case-insensitively.
    expect(anon(line.replace('Example.ORG', 'example.org')).match(/u-[0-9a-f]{12}/)![0]).toBe(
      a.match(/u-[0-9a-f]{12}/)![0],
    );
  });

  it('keeps relay host names (the recipient MX, not a person) but not their addresses', () => {
    const out = anon(
      'Nov 27 10:00:03 mx postfix/smtp[126]: 4BD3C1A2F: to=<bob@example.org>, orig_to=<bob>, relay=mx.example.org[2001:db8:1234:5678::25]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n',
    );
    expect(out).toContain(
      'relay=mx.example.org[2001:db8:1234::]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent',
    );
    expect(out).toMatch(/orig_to=<u-[0-9a-f]{12}>/);
    expect(out).not.toContain('bob');
  });

  it('redacts the text a header_checks WARN line quotes, keeping the rest of the line', () => {
    const out = anon(
      'Nov 27 10:00:01 mx postfix/cleanup[124]: 4BD3C1A2F: warning: header Subject: Re: from the doctor from unknown[192.0.2.45]; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<pc>\n',
    );
    expect(out).toMatch(
      /warning: header Subject: \[redacted\] from unknown\[192\.0\.2\.0\]; from=<u-[0-9a-f]{12}@example\.net> to=<u-[0-9a-f]{12}@example\.org> proto=ESMTP/,
    );
    expect(out).not.toContain('doctor');
  });

  it('handles Dovecot login, session and auth lines', () => {
    const out = anon(
      [
        'Nov 27 10:00:04 mx dovecot: imap-login: Login: user=<carol>, method=PLAIN, rip=2001:db8:abcd:12::7, lip=192.0.2.1, TLS',
        'Nov 27 10:00:04 mx dovecot: imap(carol)<3><abc>: Disconnected: Logged out in=1 out=2',
        'Nov 27 10:00:04 mx dovecot: auth-worker(24544): pam(dave,198.51.100.7,<x>): unknown user',
        '',
      ].join('\n'),
    );
    const [login, session, auth] = out.split('\n');
    const carol = /user=<(u-[0-9a-f]{12})>/.exec(login!)![1]!;
    expect(login).toContain('rip=2001:db8:abcd::, lip=192.0.2.0');
    expect(session).toContain(`imap(${carol})<3><abc>: Disconnected`);
    expect(auth).toMatch(/pam\(u-[0-9a-f]{12},198\.51\.100\.0,<x>\): unknown user/);
    expect(out).not.toMatch(/carol|dave/);
  });

  it('handles Exim and Sendmail client names and authenticated users', () => {
    const out = anon(
      [
        '2024-01-01 10:00:00 1rABCD-000123-AB <= eve@example.com H=host.sub.example.com (helo) [203.0.113.9] P=esmtpa A=dovecot_login:eve S=123',
        'Mar  1 10:00:01 relay sm-mta[5001]: 421A01x5005001: from=<heidi@example.org>, relay=client.isp.example.net [192.0.2.44]',
        '',
      ].join('\n'),
    );
    expect(out).toMatch(
      /<= u-[0-9a-f]{12}@example\.com H=example\.com \(helo\) \[203\.0\.113\.0\] P=esmtpa A=dovecot_login:u-[0-9a-f]{12} S=123/,
    );
    expect(out).toContain('relay=example.net [192.0.2.0]');
  });

  it('finds IPv6 after "IPv6:" and IPv4-mapped IPv6, and leaves times, queue ids and versions alone', () => {
    const out = anon(
      'Nov 27 10:00:05 mx postfix/smtpd[123]: 4BD3C1A2F: reject: RCPT from unknown[::ffff:203.0.113.77]: helo=<IPv6:2001:db8::99> TLSv1.3 1.2.3.4.5\n',
    );
    expect(out).toBe(
      'Nov 27 10:00:05 mx postfix/smtpd[123]: 4BD3C1A2F: reject: RCPT from unknown[::ffff:203.0.113.0]: helo=<IPv6:2001:db8::> TLSv1.3 1.2.3.4.5\n',
    );
  });

  it('uses Crypto-PAn when asked, keeping the line shape', () => {
    const out = anon('connect from unknown[192.0.2.45]\n', { ip: 'crypto-pan' });
    expect(out).toMatch(/^connect from unknown\[\d+\.\d+\.\d+\.\d+\]\n$/);
    expect(out).not.toContain('192.0.2.45');
  });

  it('is idempotent: a second pass changes nothing', () => {
    const text =
      'Nov 27 10:00:01 mx postfix/smtpd[1]: 4BD3C1A2F: client=a.example.net[192.0.2.45], sasl_username=alice\nNov 27 10:00:02 mx postfix/qmgr[2]: 4BD3C1A2F: from=<alice@example.org>\n';
    const once = anon(text);
    expect(anon(once)).toBe(once);
  });

  it('gives the same output whatever the chunk boundaries', () => {
    const text = Buffer.from(
      'Nov 27 10:00:01 mx postfix/smtpd[1]: 4BD3C1A2F: client=a.example.net[192.0.2.45], sasl_username=alice\nNov 27 10:00:02 mx postfix/qmgr[2]: 4BD3C1A2F: from=<alice@example.org>, to=<bob@example.net> rip=2001:db8::1\nlast line without newline 198.51.100.3',
    );
    const whole = make().text(text.toString('latin1'));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 6 }), (cuts) => {
        const a = make();
        const points = [...new Set(cuts)].sort((x, y) => x - y);
        const parts: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, text.length]) {
          parts.push(a.push(text.subarray(prev, p)));
          prev = p;
        }
        parts.push(a.end());
        expect(Buffer.concat(parts).toString('latin1')).toBe(whole);
      }),
    );
  });

  it('cuts a newline-free input at the line cap instead of buffering it all', () => {
    const a = make();
    const big = Buffer.alloc(9 * 1024 * 1024, 0x61);
    expect(a.push(big).length).toBe(big.length);
  });
});

// Property tests: whatever surrounds them, addresses and IPs the anonymiser is asked to hide never
// come out again.
const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, fc.integer({ min: 1, max: 255 })).map((o) => o.join('.'));
const hextet = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const ipv6 = fc
  .tuple(
    fc.integer({ min: 0x2000, max: 0x3fff }).map((n) => n.toString(16)),
    fc.array(hextet, { minLength: 7, maxLength: 7 }),
  )
  .map(([first, rest]) => [first, ...rest].join(':'))
  // the /48 network part is kept by design: make the hidden part non-zero so it differs from its truncation
  .filter((s) =>
    s
      .split(':')
      .slice(3)
      .some((h) => h !== '0'),
  );
const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}[a-z0-9]$/);
const domain = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}\.(org|net|com|de)$/);
const email = fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`);
const filler = fc.constantFrom(' ', ', ', ' from ', ': ', ' (', ') ', '; ', ' x=');

const context = fc.constantFrom(
  (v: string) => `client=unknown[${v}]`,
  (v: string) => `connect from mail.example.net[${v}]`,
  (v: string) => `rip=${v}, lip=192.0.2.1`,
  (v: string) => `from=<${v}>`,
  (v: string) => `to=<${v}>,`,
  (v: string) => `relay=mx.example.org[${v}]:25`,
  (v: string) => `sasl_username=${v}`,
  (v: string) => `H=h.example.com [${v}]`,
  (v: string) => ` ${v} `,
  (v: string) => `<${v}>`,
  (v: string) => `"${v}"`,
);

describe('Anonymizer properties', () => {
  const check = (
    values: fc.Arbitrary<string>,
    policy: Partial<AnonymizePolicy>,
    canonical: (v: string) => string,
  ) =>
    fc.assert(
      fc.property(fc.array(fc.tuple(values, context, filler), { minLength: 1, maxLength: 6 }), (items) => {
        const line = `Nov 27 10:00:00 mx postfix/smtpd[1]: ${items.map(([v, c, f]) => c(v) + f).join('')}\n`;
        const out = anon(line, policy).toLowerCase();
        // As a token: a pseudonym's hex may by chance end in the same characters as a local part.
        const token = (v: string): RegExp =>
          new RegExp(`(?<![a-z0-9._+-])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9a-f])`);
        for (const [v] of items) expect(out).not.toMatch(token(canonical(v)));
        expect(out.split('\n').length).toBe(2);
      }),
      { numRuns: 300 },
    );

  it('the check itself finds addresses that are kept (so the properties below can fail)', () => {
    expect(() => check(ipv4, { ip: 'keep' }, (v) => v)).toThrow();
    expect(() => check(email, { users: false }, (v) => v.split('@')[1]!)).toThrow();
  });
  it('never outputs an input IPv4 address (truncation)', () => {
    check(ipv4, {}, (v) => v);
  });
  it('never outputs an input IPv4 address (Crypto-PAn)', () => {
    // Crypto-PAn could map an address to itself with probability 2^-32 per address: never in 300 runs.
    check(ipv4, { ip: 'crypto-pan' }, (v) => v);
  });
  it('never outputs an input IPv6 address', () => {
    check(ipv6, {}, (v) => v);
    check(ipv6, { ip: 'crypto-pan' }, (v) => v);
  });
  it('never outputs an input e-mail address or its local part next to its domain', () => {
    check(email, {}, (v) => v.toLowerCase());
  });

  // The scanner passes over syslog timestamps, host names and program tags: an address that sits in or
  // right after such a header (a log relayed by IP, a stray line) must still be found.
  const header = fc.constantFrom(
    (v: string) => `Nov 27 10:00:00 ${v} postfix/smtpd[1]: `,
    (v: string) => `Mar  1 10:00:00.123456 ${v} postfix/smtpd[1]: `,
    (v: string) => `2026-11-27T10:00:00.5+01:00 ${v} dovecot: `,
    (v: string) => `<22>1 2026-11-27T10:00:00Z ${v} postfix 1 - - `,
    (v: string) => `Nov 27 10:00:00 mx ${v}: `,
    (v: string) => `Nov 27 10:00:00 mx postfix/smtpd[1]: ${v} `,
    (v: string) => `2026-11-27 10:00:00 ${v} `,
    (v: string) => `${v} `,
  );
  it('never outputs an address that sits in the syslog header', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4, ipv6), header, (v, h) => {
        const out = anon(`${h(v)}x=1\n`);
        expect(out).not.toMatch(new RegExp(`(?<![0-9a-f:.])${v.replace(/\./g, '\\.')}(?![0-9a-f])`));
      }),
      { numRuns: 300 },
    );
  });
});

describe('Anonymizer fast paths agree with the plain computation', () => {
  it('makes user pseudonyms as HMAC-SHA256 of the name with the pseudonym key', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9._-]{0,40}$/),
        fc.integer({ min: 8, max: 64 }),
        (name, digits) => {
          const out = anon(`Nov 27 10:00:00 mx dovecot: auth: x user=<${name}>, rip=192.0.2.1\n`, {
            pseudonymHexDigits: digits,
          });
          const mac = createHmac('sha256', KEYS.pseudonym).update(name, 'latin1').digest('hex');
          expect(out).toContain(`user=<u-${mac.slice(0, digits)}>`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('makes Message-ID pseudonyms as HMAC-SHA256 of the id with the domain in lower case', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._$+-]{1,40}$/),
        fc.stringMatching(/^[a-zA-Z0-9-]{1,20}\.(org|NET|de)$/),
        fc.integer({ min: 8, max: 64 }),
        (local, dom, digits) => {
          const out = anon(
            `Nov 27 10:00:00 mx postfix/cleanup[1]: 4BD3C1A2F: message-id=<${local}@${dom}>\n`,
            {
              pseudonymHexDigits: digits,
            },
          );
          const mac = createHmac('sha256', KEYS.pseudonym)
            .update(`${local}@${dom.toLowerCase()}`, 'latin1')
            .digest('hex');
          expect(out).toContain(`message-id=<u-${mac.slice(0, digits)}@${dom}>`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('truncates IPv4 to whole and partial octets like the numeric computation', () => {
    expect(anon('x 192.0.2.45 y\n')).toBe('x 192.0.2.0 y\n');
    expect(anon('x 192.0.2.45 y\n', { ipv4Prefix: 16 })).toBe('x 192.0.0.0 y\n');
    expect(anon('x 192.0.2.45 y\n', { ipv4Prefix: 8 })).toBe('x 192.0.0.0 y\n');
    expect(anon('x 192.0.2.45 y\n', { ipv4Prefix: 0 })).toBe('x 0.0.0.0 y\n');
    expect(anon('x 192.0.2.45 y\n', { ipv4Prefix: 32 })).toBe('x 192.0.2.45 y\n');
    expect(anon('x 192.0.2.45 y\n', { ipv4Prefix: 20 })).toBe('x 192.0.0.0 y\n');
    expect(anon('x 198.51.100.200 y\n', { ipv4Prefix: 26 })).toBe('x 198.51.100.192 y\n');
  });
});

describe('parsePolicy', () => {
  it('merges over the default and reads the anonymize: section of mailcomply.yaml', () => {
    expect(parsePolicy({ anonymize: { ip: 'crypto-pan', emailDomain: 'hash' } })).toMatchObject({
      ip: 'crypto-pan',
      emailDomain: 'hash',
      users: true,
    });
  });
  it('rejects unknown keys and bad values', () => {
    expect(() => parsePolicy({ ip: 'scramble' })).toThrow(/ip/);
    expect(() => parsePolicy({ colour: 'red' })).toThrow();
  });
  it('hashes e-mail domains when told to', () => {
    expect(anon('from=<a@example.org>\n', { emailDomain: 'hash' })).toMatch(
      /^from=<u-[0-9a-f]{12}@u-[0-9a-f]{12}\.invalid>\n$/,
    );
  });
});

describe('Exim local deliveries', () => {
  it('pseudonymises the bare user name Exim logs before the address', () => {
    const out = anon(
      '2024-03-01 10:00:06 1rABCD-000123-AB => alice <alice@example.org> R=localuser T=local_delivery\n',
    );
    expect(out).toMatch(
      /^2024-03-01 10:00:06 1rABCD-000123-AB => u-[0-9a-f]{12} <u-[0-9a-f]{12}@example\.org> R=localuser/,
    );
    expect(out).not.toContain('alice');
  });
});

describe('HELO names', () => {
  it('reduces a helo name like a client host name and leaves address literals to the address rules', () => {
    expect(anon('proto=ESMTP helo=<pc-judy>\n')).toBe('proto=ESMTP helo=<unknown>\n');
    expect(anon('proto=ESMTP helo=<mail.sub.example.com>\n')).toBe('proto=ESMTP helo=<example.com>\n');
    expect(anon('proto=ESMTP helo=<[192.0.2.7]>\n')).toBe('proto=ESMTP helo=<[192.0.2.0]>\n');
  });
});

describe('Exchange message tracking CSV', () => {
  it('redacts the subject column and reduces client host names, keeping the row shape', () => {
    const text = readFileSync(
      new URL('../../../test/fixtures/logs/exchange-tracking.log', import.meta.url),
      'latin1',
    );
    const out = anon(text);
    const rows = out.split('\n');
    expect(rows[4]).toBe(text.split('\n')[4]);
    expect(rows[5]).toMatch(
      /^2024-03-01T10:00:01\.123Z,192\.0\.2\.0,example\.net,198\.51\.100\.0,EX01,.*,u-[0-9a-f]{12}@example\.org;u-[0-9a-f]{12}@example\.org,,2048,2,,,\[redacted\],u-[0-9a-f]{12}@example\.net,/,
    );
    expect(rows[6]).toContain(',[redacted],');
    expect(out).not.toMatch(/Quarterly|alice|carol|client\.example/);
    expect(rows[5]!.split(',')).toHaveLength(text.split('\n')[5]!.split(',').length - 1); // the quoted comma is gone
  });
});
