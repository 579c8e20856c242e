import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePresentation } from './presentation.js';
import type { DnsRecord } from './types.js';
import {
  fromPacketAnswer,
  resultFromPacket,
  splitCharacterStrings,
  toPacketAnswer,
  wireName,
} from './wire.js';

/** Sends answers through a real encode/decode cycle, as the lab server and client do. */
function overTheWire(answers: Answer[]): Answer[] {
  const bytes = dnsPacket.encode({
    type: 'response',
    id: 1,
    questions: [{ type: 'A', name: 'q.test' }],
    answers,
  });
  return dnsPacket.decode(bytes).answers ?? [];
}

function roundTrip(record: DnsRecord): DnsRecord | null {
  const [decoded] = overTheWire([toPacketAnswer(record)]);
  return decoded ? fromPacketAnswer(decoded) : null;
}

const SAMPLE = parsePresentation(
  `
  @      A      192.0.2.1
  @      AAAA   2001:db8::1
  @      MX     10 mx1
  @      MX     0 .
  @      TXT    "v=spf1 " "-all"
  @      SPF    "v=spf1 -all"
  www    CNAME  web
  @      NS     ns1
  1      PTR    host
  @      SOA    ns1 hostmaster 1 2 3 4 5
  _25._tcp TLSA 3 1 1 00ff
  @      DS     1 13 2 abcdef
  @      DNSKEY 257 3 13 AAECAw==
  `,
  'example.org',
);

describe('wire conversion', () => {
  it.each(SAMPLE.map((r) => [r.type, r] as const))('round-trips %s through dns-packet', (_type, record) => {
    expect(roundTrip(record)).toEqual(record);
  });

  it('lower-cases names and strips the trailing dot; the root becomes the empty string', () => {
    expect(wireName('Mail.Example.ORG.')).toBe('mail.example.org');
    expect(wireName('.')).toBe('');
    const [mx] = overTheWire([
      { type: 'MX', name: 'Example.Org', ttl: 5, data: { preference: 0, exchange: '.' } },
    ]);
    expect(fromPacketAnswer(mx as Answer)).toEqual({
      name: 'example.org',
      type: 'MX',
      ttl: 5,
      data: { preference: 0, exchange: '' },
    });
  });

  it('decodes TXT bytes as latin1 so non-ASCII junk survives visibly', () => {
    const junk = Buffer.from([0x76, 0x3d, 0xff, 0x00, 0xc3, 0xa9]);
    const [txt] = overTheWire([{ type: 'TXT', name: 'j.test', ttl: 1, data: [junk, Buffer.from('ok')] }]);
    expect(fromPacketAnswer(txt as Answer)?.data).toEqual({
      text: 'v=\u00ff\u0000\u00c3\u00a9ok',
      strings: ['v=\u00ff\u0000\u00c3\u00a9', 'ok'],
    });
  });

  it('reads SPF (type 99) from raw rdata, which dns-packet does not parse', () => {
    const raw = Buffer.concat([
      Buffer.from([7]),
      Buffer.from('v=spf1 '),
      Buffer.from([4]),
      Buffer.from('-all'),
    ]);
    const [spf] = overTheWire([{ type: 'SPF', name: 's.test', ttl: 1, data: raw } as unknown as Answer]);
    expect(fromPacketAnswer(spf as Answer)?.data).toEqual({
      text: 'v=spf1 -all',
      strings: ['v=spf1 ', '-all'],
    });
  });

  it('keeps what is there when a character-string length runs past the end', () => {
    expect(splitCharacterStrings(Buffer.from([2, 0x61, 0x62, 9, 0x63])).map((b) => b.toString())).toEqual([
      'ab',
      'c',
    ]);
    expect(splitCharacterStrings(Buffer.alloc(0))).toEqual([]);
  });

  it('splits TXT strings longer than 255 octets when encoding', () => {
    const long = 'z'.repeat(600);
    const back = roundTrip({ name: 'l.test', type: 'TXT', ttl: 1, data: { text: long, strings: [long] } });
    expect(back?.data).toEqual({ text: long, strings: ['z'.repeat(255), 'z'.repeat(255), 'z'.repeat(90)] });
  });

  it('skips record types the project does not use', () => {
    expect(fromPacketAnswer({ type: 'SRV', name: 'x.test', data: { port: 1, target: 'y.test' } })).toBeNull();
  });

  it('round-trips any TXT byte string', () => {
    const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 255 });
    fc.assert(
      fc.property(fc.array(bytes, { minLength: 1, maxLength: 6 }), (parts) => {
        const strings = parts.map((p) => Buffer.from(p).toString('latin1'));
        const record: DnsRecord = {
          name: 't.test',
          type: 'TXT',
          ttl: 9,
          data: { text: strings.join(''), strings },
        };
        expect(roundTrip(record)).toEqual(record);
      }),
      { numRuns: 300 },
    );
  });
});

describe('resultFromPacket', () => {
  const decode = (answers: Answer[], flags = 0): dnsPacket.DecodedPacket =>
    dnsPacket.decode(
      dnsPacket.encode({
        type: 'response',
        id: 1,
        flags,
        questions: [{ type: 'A', name: 'a.test' }],
        answers,
      }),
    );

  it('follows the CNAME chain and keeps only records of the type at its end', () => {
    const packet = decode(
      [
        { type: 'CNAME', name: 'A.test', ttl: 1, data: 'b.test' },
        { type: 'CNAME', name: 'b.test', ttl: 1, data: 'c.test' },
        { type: 'A', name: 'c.test', ttl: 1, data: '192.0.2.3' },
        { type: 'A', name: 'stray.test', ttl: 1, data: '192.0.2.66' },
        { type: 'RRSIG', name: 'c.test', ttl: 1, data: rrsig() },
      ],
      dnsPacket.AUTHENTIC_DATA | 3,
    );
    const r = resultFromPacket('a.test', 'A', packet, true, '127.0.0.1:53');
    expect(r.cnames.map((c) => c.data)).toEqual(['b.test', 'c.test']);
    expect(r.answers.map((a) => a.data)).toEqual(['192.0.2.3']);
    expect(r).toMatchObject({ rcode: 'NXDOMAIN', ad: true, tcp: true, server: '127.0.0.1:53' });
  });

  it('stops on a CNAME loop', () => {
    const packet = decode([
      { type: 'CNAME', name: 'a.test', ttl: 1, data: 'b.test' },
      { type: 'CNAME', name: 'b.test', ttl: 1, data: 'a.test' },
    ]);
    const r = resultFromPacket('a.test', 'A', packet, false, 's');
    expect(r.cnames).toHaveLength(2);
    expect(r.answers).toEqual([]);
  });
});

function rrsig(): dnsPacket.RrsigData {
  return {
    typeCovered: 'A',
    algorithm: 13,
    labels: 2,
    originalTTL: 1,
    expiration: 2,
    inception: 1,
    keyTag: 1,
    signersName: 'test',
    signature: Buffer.from([1, 2, 3]),
  };
}
