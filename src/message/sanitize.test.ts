import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHeaderBlock, type HeaderField } from './header-fields.js';
import { defaultHeaderPolicy, parseHeaderPolicy } from './policy.js';
import { pseudonym } from './pseudonym.js';
import { sanitizeHeaders } from './sanitize.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const fields = (text: string): HeaderField[] => parseHeaderBlock(text).fields;

const MSG = [
  'Received: from mx.example.org (mx.example.org [192.0.2.1]) by mail.example.com (Postfix) with ESMTPS id A1;',
  '\tTue, 6 Jan 2026 10:00:02 +0000',
  'Received: from laptop (unknown [10.1.2.3])',
  '\tby mail.example.com (Postfix) with ESMTP id A2;',
  '\tTue, 6 Jan 2026 10:00:01 +0000',
  'Received: from client.example.net (client.example.net [198.51.100.7])',
  '\tby mail.example.com (Postfix) with ESMTP id A3;',
  '\tTue, 6 Jan 2026 10:00:00 +0000',
  'User-Agent: Thunderbird/115',
  'X-Originating-IP: [198.51.100.7]',
  'X-Note: sent by alice@example.com from 198.51.100.7',
  'X-Flavour: vanilla',
  'Subject: hello',
  '',
].join('\r\n');

describe('sanitizeHeaders', () => {
  it('applies the default policy: removes client headers, rewrites internal hops only', () => {
    const input = fields(MSG);
    const r = sanitizeHeaders(input, defaultHeaderPolicy());
    expect(r.headers.map((h) => h.name)).toEqual([
      'Received',
      'Received',
      'Received',
      'X-Note',
      'X-Flavour',
      'Subject',
    ]);
    expect(r.headers[0]).toBe(input[0]); // untouched fields are the same objects
    expect(r.headers[1]!.value).toBe(
      ' from redacted.invalid\r\n\tby mail.example.com (Postfix) with ESMTP id A2;\r\n\tTue, 6 Jan 2026 10:00:01 +0000\r\n',
    );
    expect(r.headers[2]).toBe(input[2]); // a public client without context stays
    expect(r.changes.map((c) => [c.kind, c.name, c.occurrence, c.rule])).toEqual([
      ['replace', 'Received', 2, 'received-from'],
      ['remove', 'User-Agent', 1, 'remove'],
      ['remove', 'X-Originating-IP', 1, 'remove'],
    ]);
    expect(input[1]!.value).toContain('10.1.2.3'); // the input list is not modified
  });

  it("rewrites the submitting client's hop when its address is known", () => {
    const r = sanitizeHeaders(fields(MSG), defaultHeaderPolicy(), { clientAddress: '198.51.100.7' });
    expect(r.headers[2]!.value).toMatch(/^ from redacted\.invalid\r\n\tby mail\.example\.com/);
    expect(r.changes.filter((c) => c.rule === 'received-from').map((c) => c.occurrence)).toEqual([2, 3]);
  });

  it('rewrites authenticated hops and hides the login in them', () => {
    const f = fields(
      'Received: from pub.example.net (pub.example.net [203.0.113.9]) (authenticated user bob.smith)\r\n\tby mail.example.com with ESMTPSA id Z; Tue, 6 Jan 2026 10:00:00 +0000\r\nReceived: from a.example (a.example [192.0.2.4]) by b.example (bob.smith) with LMTPA; x\r\n\r\n',
    );
    const r = sanitizeHeaders(f, defaultHeaderPolicy(), { authenticatedUser: 'bob.smith' });
    expect(r.headers[0]!.value).toBe(
      ' from redacted.invalid\r\n\tby mail.example.com with ESMTPSA id Z; Tue, 6 Jan 2026 10:00:00 +0000\r\n',
    );
    expect(r.headers[1]!.value).not.toContain('bob.smith');
    expect(r.headers[1]!.value).toContain('by b.example');
  });

  it('honours received.rewrite none and internal zones from the policy and the context', () => {
    const none = parseHeaderPolicy('version: 1\nreceived:\n  rewrite: none\n', 'p');
    expect(sanitizeHeaders(fields(MSG), none).changes).toEqual([]);
    const zoned = parseHeaderPolicy(
      'version: 1\nreceived:\n  rewrite: internal\ninternalZones: [example.net]\n',
      'p',
    );
    expect(sanitizeHeaders(fields(MSG), zoned).changes.map((c) => c.occurrence)).toEqual([2, 3]);
    const ctx = sanitizeHeaders(
      fields(MSG),
      parseHeaderPolicy('version: 1\nreceived:\n  rewrite: internal\n', 'p'),
      {
        internal: (x) => x === '192.0.2.1',
      },
    );
    expect(ctx.changes.map((c) => c.occurrence)).toEqual([1, 2]);
  });

  it('redacts and pseudonymises the addresses inside a value, or the whole value', () => {
    const p = parseHeaderPolicy(
      'version: 1\nheaders:\n  X-Originating-IP: pseudonymise\n  X-Note: redact\n  User-Agent: pseudonymise\n  X-Flav*: redact\n',
      'p',
    );
    const r = sanitizeHeaders(fields(MSG), p, { key });
    const by = (n: string) => r.headers.find((h) => h.name === n)!.value;
    expect(by('X-Originating-IP')).toBe(` [${pseudonym(key, '198.51.100.7')}]\r\n`);
    expect(by('X-Note')).toBe(' sent by [redacted] from [redacted]\r\n');
    expect(by('User-Agent')).toBe(` ${pseudonym(key, 'Thunderbird/115')}\r\n`);
    expect(by('X-Flavour')).toBe(' [redacted]\r\n');
    // Without a key pseudonymise never leaks: it redacts.
    const nokey = sanitizeHeaders(fields(MSG), p);
    expect(nokey.headers.find((h) => h.name === 'X-Originating-IP')!.value).toBe(' [[redacted]]\r\n');
  });

  it('gives stable, keyed pseudonyms that keep the domain of an address', () => {
    const p = parseHeaderPolicy('version: 1\nheaders:\n  X-Sender: pseudonymise\n', 'p');
    const f = [{ name: 'X-Sender', value: 'Alice@Example.com' }];
    const a = sanitizeHeaders(f, p, { key }).headers[0]!.value;
    const b = sanitizeHeaders(f, p, { key }).headers[0]!.value;
    const other = sanitizeHeaders(f, p, { key: Buffer.from('another key, 16+ bytes') }).headers[0]!.value;
    expect(a).toBe(b);
    expect(a).toMatch(/^anon-[0-9a-f]{16}@Example\.com$/);
    expect(other).not.toBe(a);
  });

  it('works on milter-style values (no leading space, no line ending) and keeps non-field lines', () => {
    const r = sanitizeHeaders(
      [
        { name: '', value: 'From x Tue Jan  6 10:00:00 2026\n' },
        { name: 'Received', value: 'from ws1.corp.local ([10.0.0.9])\n\tby mx.example.com; Tue, 6 Jan 2026' },
        { name: 'user-agent', value: 'X' },
      ],
      defaultHeaderPolicy(),
    );
    expect(r.headers).toEqual([
      { name: '', value: 'From x Tue Jan  6 10:00:00 2026\n' },
      { name: 'Received', value: 'from redacted.invalid\n\tby mx.example.com; Tue, 6 Jan 2026' },
    ]);
  });

  it('never throws and never leaves an internal from-address behind (property)', () => {
    const ip = fc.oneof(
      fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.${a}.${b}.1`),
      fc.tuple(fc.nat(255)).map(([a]) => `192.168.${a}.5`),
    );
    fc.assert(
      fc.property(ip, fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (addr, junk1, junk2) => {
        const safe = (s: string) => s.replace(/[()\r\n;\\"]/g, '');
        const value = ` from host${safe(junk1).replace(/\s/g, '')} (rdns [${addr}]) ${safe(junk2)}\r\n\tby mx.example.com with ESMTP; Tue, 6 Jan 2026\r\n`;
        const r = sanitizeHeaders([{ name: 'Received', value }], defaultHeaderPolicy());
        expect(r.headers[0]!.value).not.toContain(addr);
        expect(r.headers[0]!.value).toContain('by mx.example.com with ESMTP; Tue, 6 Jan 2026');
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }), value: fc.string() })),
        (list) => {
          expect(() => sanitizeHeaders(list, defaultHeaderPolicy(), { key })).not.toThrow();
        },
      ),
    );
  });
});
