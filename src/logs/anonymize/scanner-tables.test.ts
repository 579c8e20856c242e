import { describe, expect, it } from 'vitest';
import { headerEnd, timestampEnd } from './scanner-tables.js';

const rest = (line: string, f: typeof headerEnd): string => {
  const b = Buffer.from(line, 'latin1');
  return line.slice(f(b, 0, b.length));
};

describe('timestampEnd: the timestamp the scanner may pass over', () => {
  it('recognises classic syslog, ISO 8601 with fraction and zone, Exim and RFC 5424', () => {
    expect(rest('Nov  1 00:00:01 mx postfix/smtpd[1]: x', timestampEnd)).toBe('mx postfix/smtpd[1]: x');
    expect(rest('Nov 27 10:00:01 mx x', timestampEnd)).toBe('mx x');
    expect(rest('Mar  1 10:00:01.123456 mx1 x', timestampEnd)).toBe('mx1 x');
    expect(rest('2026-11-27T04:18:46.123456+00:00 mx x', timestampEnd)).toBe('mx x');
    expect(rest('2026-11-27T04:18:46Z mx x', timestampEnd)).toBe('mx x');
    expect(rest('2026-11-27T04:18:46-0500 mx x', timestampEnd)).toBe('mx x');
    expect(rest('2026-11-27 04:18:46 1vXy-000A <= a@b', timestampEnd)).toBe('1vXy-000A <= a@b');
    expect(rest('<34>1 2026-11-27T04:18:46.003Z mx postfix 12 - - x', timestampEnd)).toBe(
      'mx postfix 12 - - x',
    );
  });

  it('passes over nothing that only looks like a timestamp', () => {
    for (const line of [
      'Nov 27 10:00:0x mx x',
      'Nov 27 10:00:01x mx x',
      'Nov 27 10:00:01. mx x',
      'Nov 27 10:00:01.5x mx x',
      '2026-11-27T04:18:46:192.0.2.1 x', // an address glued to the time stays in the text
      '2026-11-27T04:18:46+01:0 x',
      '2026-11-27T04:18:46. x',
      '<34>2026-11-27T04:18:46Z x',
      '192.0.2.1 - - [27/Nov/2026:10:00:00 +0000] x',
      'short',
    ])
      expect(rest(line, timestampEnd)).toBe(line);
  });
});

describe('headerEnd: timestamp, host name and program tag', () => {
  it('passes over the header of Postfix and Dovecot lines', () => {
    expect(rest('Nov 27 10:00:01 mx1 postfix/smtpd[5497]: connect from x', headerEnd)).toBe('connect from x');
    expect(rest('Nov 27 10:00:01 mx1 postfix-out/smtp[12]: 4BD3: to=<a@b>', headerEnd)).toBe(
      '4BD3: to=<a@b>',
    );
    expect(rest('Nov 27 10:00:01 mail.example.org dovecot: imap(alice): x', headerEnd)).toBe(
      'imap(alice): x',
    );
  });

  it('keeps an address in the host position in the text, so it is still replaced', () => {
    expect(rest('Nov 27 10:00:01 192.0.2.7 postfix/smtpd[1]: x', headerEnd)).toBe(
      '192.0.2.7 postfix/smtpd[1]: x',
    );
    expect(rest('Nov 27 10:00:01 fe80::1 postfix/smtpd[1]: x', headerEnd)).toBe(
      'fe80::1 postfix/smtpd[1]: x',
    );
  });

  it('stops after the host when the tag is not a plain program name', () => {
    expect(rest('Nov 27 10:00:01 mx imap(alice): x', headerEnd)).toBe('imap(alice): x');
    expect(rest('Nov 27 10:00:01 mx postfix/smtpd[12a]: x', headerEnd)).toBe('postfix/smtpd[12a]: x');
    expect(rest('Nov 27 10:00:01 mx message without tag', headerEnd)).toBe('message without tag');
  });
});
