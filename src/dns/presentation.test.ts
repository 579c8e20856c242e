import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import { absoluteName, DEFAULT_TTL, parsePresentation, toPresentation } from './presentation.js';
import type { DnsRecord } from './types.js';

const ORIGIN = 'example.org';

function one(line: string): DnsRecord {
  const records = parsePresentation(line, ORIGIN);
  expect(records).toHaveLength(1);
  return records[0] as DnsRecord;
}

function errorOf(text: string): InputError {
  try {
    parsePresentation(text, ORIGIN);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parsePresentation names and TTLs', () => {
  it('resolves @, relative and absolute names, lower-cased', () => {
    expect(one('@ A 192.0.2.1').name).toBe('example.org');
    expect(one('Mail A 192.0.2.1').name).toBe('mail.example.org');
    expect(one('Other.Test. A 192.0.2.1').name).toBe('other.test');
    expect(one('_dmarc TXT "v=DMARC1"').name).toBe('_dmarc.example.org');
  });

  it('takes an optional TTL and IN class in either order, defaulting the TTL to 300', () => {
    expect(DEFAULT_TTL).toBe(300);
    expect(one('@ A 192.0.2.1').ttl).toBe(300);
    expect(one('@ 60 A 192.0.2.1').ttl).toBe(60);
    expect(one('@ IN 61 A 192.0.2.1').ttl).toBe(61);
    expect(one('@ 62 IN A 192.0.2.1').ttl).toBe(62);
    expect(one('@ in mx 5 mx1').type).toBe('MX');
  });

  it('skips blank lines and comments, and ignores leading blanks', () => {
    const text = '; heading\n\n   @ A 192.0.2.1 ; trailing comment\n\t\nwww A 192.0.2.2\r\n';
    expect(parsePresentation(text, ORIGIN).map((r) => r.name)).toEqual(['example.org', 'www.example.org']);
  });

  it('honours $ORIGIN and $TTL', () => {
    const records = parsePresentation('$TTL 3600\n@ A 192.0.2.1\n$ORIGIN sub\nwww A 192.0.2.2', ORIGIN);
    expect(records.map((r) => [r.name, r.ttl])).toEqual([
      ['example.org', 3600],
      ['www.sub.example.org', 3600],
    ]);
  });

  it('converts IDN names to punycode', () => {
    expect(one('bücher A 192.0.2.1').name).toBe('xn--bcher-kva.example.org');
  });

  it('absoluteName follows the same rules', () => {
    expect(absoluteName('@', 'Example.Org.')).toBe('example.org');
    expect(absoluteName('slow', ORIGIN)).toBe('slow.example.org');
    expect(absoluteName('x.test.', ORIGIN)).toBe('x.test');
    expect(() => absoluteName('a..b', ORIGIN)).toThrow(InputError);
  });
});

describe('parsePresentation record data', () => {
  it('parses A and AAAA, normalising IPv6', () => {
    expect(one('@ A 192.0.2.1').data).toBe('192.0.2.1');
    expect(one('@ AAAA 2001:DB8:0:0::1').data).toBe('2001:db8::1');
  });

  it('parses MX, including the null MX', () => {
    expect(one('@ MX 10 mx1').data).toEqual({ preference: 10, exchange: 'mx1.example.org' });
    expect(one('@ MX 20 mx.other.test.').data).toEqual({ preference: 20, exchange: 'mx.other.test' });
    expect(one('@ MX 0 .').data).toEqual({ preference: 0, exchange: '' });
    // Relative, as in any zone file; an absolute numeric target is kept for broken-MX scenarios.
    expect(one('@ MX 30 192.0.2.25.').data).toEqual({ preference: 30, exchange: '192.0.2.25' });
  });

  it('keeps TXT strings apart and joins them in text', () => {
    const r = one('@ TXT "v=spf1 " "mx -all"');
    expect(r.data).toEqual({ text: 'v=spf1 mx -all', strings: ['v=spf1 ', 'mx -all'] });
    expect(one('@ SPF "v=spf1 -all"')).toMatchObject({ type: 'SPF', data: { text: 'v=spf1 -all' } });
  });

  it('handles \\" \\\\ and \\DDD escapes and keeps ; inside quotes', () => {
    const r = one('@ TXT "a\\"b" "c\\\\d" "\\065\\255" "p=reject; rua=x"');
    expect(r.data).toEqual({
      text: 'a"bc\\dA\u00ffp=reject; rua=x',
      strings: ['a"b', 'c\\d', 'A\u00ff', 'p=reject; rua=x'],
    });
  });

  it('stores non-ASCII text as its UTF-8 octets, as a resolver would return it', () => {
    const r = one('@ TXT "é"');
    expect(r.data).toEqual({ text: '\u00c3\u00a9', strings: ['\u00c3\u00a9'] });
  });

  it('parses CNAME, NS, PTR and SOA', () => {
    expect(one('www CNAME web').data).toBe('web.example.org');
    expect(one('@ NS ns1.other.test.').data).toBe('ns1.other.test');
    expect(one('1 PTR host').data).toBe('host.example.org');
    expect(one('@ SOA ns1 hostmaster 1 2 3 4 5').data).toEqual({
      mname: 'ns1.example.org',
      rname: 'hostmaster.example.org',
      serial: 1,
      refresh: 2,
      retry: 3,
      expire: 4,
      minimum: 5,
    });
  });

  it('parses TLSA, DS and DNSKEY, joining split hex and base64', () => {
    expect(one('_25._tcp.mx TLSA 3 1 1 ABCD ef01').data).toEqual({
      usage: 3,
      selector: 1,
      matchingType: 1,
      data: 'abcdef01',
    });
    expect(one('@ DS 2371 13 2 1F987CC6583E9 2DF0890718C42').data).toEqual({
      keyTag: 2371,
      algorithm: 13,
      digestType: 2,
      digest: '1f987cc6583e92df0890718c42',
    });
    expect(one('@ DNSKEY 256 3 13 AAAA BBBB').data).toEqual({
      flags: 256,
      protocol: 3,
      algorithm: 13,
      publicKey: 'AAAABBBB',
    });
  });
});

describe('parsePresentation errors', () => {
  const cases: [string, RegExp][] = [
    ['@ A 300.1.1.1', /line 1: A data is not a dotted-quad IPv4 address/],
    ['@ A 10.1', /line 1: A data/],
    ['@ AAAA 192.0.2.1', /AAAA data is not an IPv6 address/],
    ['@ MX mx1', /MX data must be: PREFERENCE EXCHANGE/],
    ['@ MX 70000 mx1', /preference must be a whole number from 0 to 65535/],
    ['@ TXT v=spf1', /TXT data must be double-quoted strings/],
    ['@ TXT', /TXT needs at least one double-quoted string/],
    ['@ TXT "open', /unterminated quoted string/],
    [`@ TXT "${'a'.repeat(256)}"`, /longer than 255 octets/],
    ['@ TXT "\\300"', /255 or less/],
    ['@ TXT "a""b"', /followed by a space/],
    ['@ FOO 1', /unsupported record type FOO/],
    ['@ 300', /expected a record type/],
    ['@ 9999999999 A 192.0.2.1', /TTL must be/],
    ['@ TLSA 3 1 1 abc', /even number of hex digits/],
    ['@ DS 1 13 2 xyz', /hex digits/],
    ['@ DNSKEY 257 3 13 not*base64', /not valid base64/],
    ['@ SOA ns1 hostmaster 1 2 3', /SOA data must be/],
    ['www CNAME .', /root cannot be used/],
    ['a..b A 192.0.2.1', /empty label/],
    [`${'a'.repeat(64)} A 192.0.2.1`, /label longer than 63/],
    ['bad!name A 192.0.2.1', /characters not allowed/],
    ['@ SOA ( ns1 hostmaster 1 2 3 4 5 )', /parentheses are not supported/],
    ['$INCLUDE other.zone', /unknown directive/],
    ['"quoted" A 192.0.2.1', /expected owner name/],
    ['@ A "192.0.2.1"', /cannot contain quoted strings/],
  ];
  it.each(cases)('%s', (line, pattern) => {
    const err = errorOf(line);
    expect(err.code).toBe('E_INPUT');
    expect(err.message).toMatch(pattern);
  });

  it('names the line number, counting blank and comment lines', () => {
    expect(errorOf('; c\n\n@ A 192.0.2.1\n@ A 999.0.0.1').message).toMatch(/^line 4: /);
  });

  it('never repeats the line content (it may hold personal data)', () => {
    const err = errorOf('@ SOA ns1 jane.doe@example.org 1 2 3 4 5');
    expect(err.message).not.toContain('jane');
    const txt = errorOf('@ TXT "mailto:jane.doe@example.org');
    expect(txt.message).not.toContain('jane');
  });

  it('rejects an invalid origin', () => {
    expect(() => parsePresentation('@ A 192.0.2.1', 'a..b')).toThrow(/origin/);
  });
});

describe('parsePresentation properties', () => {
  it('never throws anything but InputError', () => {
    const alphabet = fc.constantFrom(...' \t\n;"\\()@.$0123456789abcdefxyzMXATXSOAIN_-:*é\u0000'.split(''));
    const lines = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({
        unit: fc.constantFrom('\u00a0', '\u2028', '\v', '\f', '\ufeff', 'a', '"', ' '),
        maxLength: 20,
      }),
      fc.string({ unit: alphabet, maxLength: 80 }),
      fc
        .tuple(
          fc.constantFrom('@', 'www', 'a.b.', '.', '_x', 'é'),
          fc.constantFrom('', '300 ', 'IN ', '300 IN '),
          fc.constantFrom(
            'A',
            'AAAA',
            'MX',
            'TXT',
            'SPF',
            'CNAME',
            'NS',
            'SOA',
            'PTR',
            'TLSA',
            'DS',
            'DNSKEY',
          ),
          fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.nat().map(String)), { maxLength: 8 }),
        )
        .map(([n, t, ty, rd]) => `${n} ${t}${ty} ${rd.join(' ')}`),
    );
    fc.assert(
      fc.property(fc.array(lines, { maxLength: 6 }), (ls) => {
        try {
          parsePresentation(ls.join('\n'), ORIGIN);
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  const label = fc.stringMatching(/^[a-z0-9_]([a-z0-9_-]{0,10}[a-z0-9_])?$/);
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => `${ls.join('.')}.example.org`);
  const byteString = fc
    .array(fc.integer({ min: 0, max: 255 }), { maxLength: 255 })
    .map((bytes) => Buffer.from(bytes).toString('latin1'));
  const u8 = fc.integer({ min: 0, max: 255 });
  const u16 = fc.integer({ min: 0, max: 65535 });
  const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
  const hex = fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => Buffer.from(b).toString('hex'));
  const record: fc.Arbitrary<DnsRecord> = fc.oneof<fc.Arbitrary<DnsRecord>[]>(
    fc.tuple(name, fc.ipV4()).map(([n, d]) => ({ name: n, type: 'A', ttl: 300, data: d })),
    fc
      .tuple(name, fc.ipV6())
      .map(([n, d]) => ({ name: n, type: 'AAAA', ttl: 300, data: one(`@ AAAA ${d}`).data })),
    fc.tuple(name, u16, fc.oneof(name, fc.constant(''))).map(([n, p, e]) => ({
      name: n,
      type: 'MX',
      ttl: 60,
      data: { preference: p, exchange: e },
    })),
    fc
      .tuple(name, fc.constantFrom('TXT', 'SPF'), fc.array(byteString, { minLength: 1, maxLength: 4 }))
      .map(
        ([n, t, s]) => ({ name: n, type: t, ttl: 300, data: { text: s.join(''), strings: s } }) as DnsRecord,
      ),
    fc
      .tuple(name, fc.constantFrom('CNAME', 'NS', 'PTR'), name)
      .map(([n, t, d]) => ({ name: n, type: t, ttl: 300, data: d }) as DnsRecord),
    fc.tuple(name, name, name, u32, u32, u32, u32, u32).map(([n, m, r, a, b, c, d, e]) => ({
      name: n,
      type: 'SOA',
      ttl: 300,
      data: { mname: m, rname: r, serial: a, refresh: b, retry: c, expire: d, minimum: e },
    })),
    fc.tuple(name, u8, u8, u8, hex).map(([n, usage, selector, matchingType, data]) => ({
      name: n,
      type: 'TLSA',
      ttl: 300,
      data: { usage, selector, matchingType, data },
    })),
    fc.tuple(name, u16, u8, u8, hex).map(([n, keyTag, algorithm, digestType, digest]) => ({
      name: n,
      type: 'DS',
      ttl: 300,
      data: { keyTag, algorithm, digestType, digest },
    })),
    fc
      .tuple(name, u16, u8, fc.uint8Array({ minLength: 1, maxLength: 64 }))
      .map(([n, flags, algorithm, key]) => ({
        name: n,
        type: 'DNSKEY',
        ttl: 300,
        data: { flags, protocol: 3, algorithm, publicKey: Buffer.from(key).toString('base64') },
      })),
  );

  it('reads back what toPresentation writes', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), (records) => {
        const text = records.map(toPresentation).join('\n');
        expect(parsePresentation(text, 'elsewhere.test')).toEqual(records);
      }),
      { numRuns: 500 },
    );
  });

  it('formats a null MX with a root target', () => {
    expect(
      toPresentation({ name: 'example.org', type: 'MX', ttl: 300, data: { preference: 0, exchange: '' } }),
    ).toBe('example.org. 300 IN MX 0 .');
  });
});
