import type { Answer, DecodedPacket } from 'dns-packet';
import ipaddr from 'ipaddr.js';
import { DNS_MAX_CNAME_CHAIN } from '../core/limits.js';
import type { DnsRecord, DnsResult, RecordDataMap, RRType } from './types.js';

/** The record types this project converts; anything else in an answer (RRSIG, NSEC...) is skipped. */
export const RR_TYPES: readonly RRType[] = [
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
];
const KNOWN = new Set<string>(RR_TYPES);

/** Whether `type` is one of the record types this project converts. */
export function isRRType(type: string): type is RRType {
  return KNOWN.has(type);
}

/** Owner and target names as the project keeps them: lower case, no trailing dot; the root is ''. */
export function wireName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

// dns-packet's typings know neither SPF nor the raw shapes it hands out for unknown types.
interface LooseAnswer {
  type: string;
  name: string;
  ttl?: number;
  class?: string;
  data?: unknown;
}

/**
 * Converts one decoded dns-packet answer to a `DnsRecord`, or null for types this project does
 * not use. TXT and SPF bytes are read as latin1 so any byte survives, visibly, without throwing.
 */
export function fromPacketAnswer(answer: Answer): DnsRecord | null {
  const a = answer as LooseAnswer;
  if (!isRRType(a.type)) return null;
  const data = convertData(a.type, a.data);
  if (data === null) return null;
  return { name: wireName(a.name), type: a.type, ttl: a.ttl ?? 0, data } as DnsRecord;
}

function convertData(type: RRType, d: unknown): RecordDataMap[RRType] | null {
  switch (type) {
    case 'A':
      return typeof d === 'string' ? d : null;
    case 'AAAA':
      return typeof d === 'string' ? canonicalIPv6(d) : null;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return typeof d === 'string' ? wireName(d) : null;
    case 'MX': {
      const mx = d as { preference?: number; exchange?: string };
      return { preference: mx.preference ?? 0, exchange: wireName(mx.exchange ?? '') };
    }
    case 'TXT':
      return textData(Array.isArray(d) ? d : [d]);
    case 'SPF':
      // dns-packet leaves type 99 as raw rdata: a run of length-prefixed character-strings.
      return Buffer.isBuffer(d) ? textData(splitCharacterStrings(d)) : null;
    case 'SOA': {
      const s = d as { mname: string; rname: string } & Partial<Record<string, number>>;
      return {
        mname: wireName(s.mname),
        rname: wireName(s.rname),
        serial: s.serial ?? 0,
        refresh: s.refresh ?? 0,
        retry: s.retry ?? 0,
        expire: s.expire ?? 0,
        minimum: s.minimum ?? 0,
      };
    }
    case 'TLSA': {
      const t = d as { usage: number; selector: number; matchingType: number; certificate: Buffer };
      return {
        usage: t.usage,
        selector: t.selector,
        matchingType: t.matchingType,
        data: t.certificate.toString('hex'),
      };
    }
    case 'DS': {
      const s = d as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
      return {
        keyTag: s.keyTag,
        algorithm: s.algorithm,
        digestType: s.digestType,
        digest: s.digest.toString('hex'),
      };
    }
    case 'DNSKEY': {
      const k = d as { flags: number; algorithm: number; key: Buffer };
      // dns-packet refuses to decode any protocol but 3 (RFC 4034 §2.1.2), so it is always 3 here.
      return { flags: k.flags, protocol: 3, algorithm: k.algorithm, publicKey: k.key.toString('base64') };
    }
  }
}

function textData(parts: unknown[]): { text: string; strings: string[] } {
  const strings = parts.map((p) => (Buffer.isBuffer(p) ? p.toString('latin1') : String(p)));
  // RFC 7208 §3.3: the strings of one record are concatenated with nothing in between.
  return { text: strings.join(''), strings };
}

/** Splits raw TXT-style rdata; a length running past the end keeps what is there rather than failing. */
export function splitCharacterStrings(rdata: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < rdata.length) {
    const len = rdata[at] ?? 0;
    out.push(rdata.subarray(at + 1, Math.min(at + 1 + len, rdata.length)));
    at += 1 + len;
  }
  return out;
}

function canonicalIPv6(text: string): string {
  return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text).toString() : text;
}

/**
 * Encodes one TXT character-string. Text with only latin1 characters maps one char to one byte
 * (the inverse of decoding); anything wider is sent as UTF-8.
 */
export function textBytes(s: string): Buffer {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) return Buffer.from(s, 'utf8');
  }
  return Buffer.from(s, 'latin1');
}

// A character-string holds at most 255 octets; longer text is split, as zone compilers do.
function chunked(strings: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const s of strings) {
    const b = textBytes(s);
    if (b.length === 0) out.push(b);
    for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  }
  return out.length > 0 ? out : [Buffer.alloc(0)];
}

/** Converts a `DnsRecord` to a dns-packet answer, for the lab server. The inverse of `fromPacketAnswer`. */
export function toPacketAnswer(record: DnsRecord): Answer {
  const base = { name: record.name === '' ? '.' : record.name, ttl: record.ttl, class: 'IN' as const };
  const r = record as DnsRecord<RRType> & { data: never };
  switch (record.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { ...base, type: record.type, data: rootDot(r.data as string) };
    case 'MX': {
      const mx = r.data as RecordDataMap['MX'];
      return { ...base, type: 'MX', data: { preference: mx.preference, exchange: rootDot(mx.exchange) } };
    }
    case 'TXT':
      return { ...base, type: 'TXT', data: chunked((r.data as RecordDataMap['TXT']).strings) };
    case 'SPF': {
      const parts = chunked((r.data as RecordDataMap['SPF']).strings);
      const raw = Buffer.concat(parts.flatMap((p) => [Buffer.of(p.length), p]));
      return { ...base, type: 'SPF', data: raw } as unknown as Answer;
    }
    case 'SOA': {
      const s = r.data as RecordDataMap['SOA'];
      return { ...base, type: 'SOA', data: { ...s, mname: rootDot(s.mname), rname: rootDot(s.rname) } };
    }
    case 'TLSA': {
      const t = r.data as RecordDataMap['TLSA'];
      const certificate = Buffer.from(t.data, 'hex');
      return { ...base, type: 'TLSA', data: { ...t, certificate } };
    }
    case 'DS': {
      const s = r.data as RecordDataMap['DS'];
      return { ...base, type: 'DS', data: { ...s, digest: Buffer.from(s.digest, 'hex') } };
    }
    case 'DNSKEY': {
      const k = r.data as RecordDataMap['DNSKEY'];
      return { ...base, type: 'DNSKEY', data: { ...k, key: Buffer.from(k.publicKey, 'base64') } };
    }
  }
  throw new TypeError(`unsupported record type for encoding`);
}

function rootDot(name: string): string {
  return name === '' ? '.' : name;
}

/**
 * Builds a `DnsResult` from a decoded reply: follows the CNAME chain from `qname` through the
 * answer section and keeps only records of the asked type at its end (anything else is ignored).
 */
export function resultFromPacket<T extends RRType>(
  qname: string,
  type: T,
  packet: DecodedPacket,
  tcp: boolean,
  server: string,
): DnsResult<T> {
  const records: DnsRecord[] = [];
  for (const a of packet.answers ?? []) {
    const r = fromPacketAnswer(a);
    if (r) records.push(r);
  }
  const cnames: DnsRecord<'CNAME'>[] = [];
  let owner = qname;
  if (type !== 'CNAME') {
    for (let hop = 0; hop < DNS_MAX_CNAME_CHAIN; hop++) {
      const next = records.find((r): r is DnsRecord<'CNAME'> => r.type === 'CNAME' && r.name === owner);
      if (!next || cnames.includes(next)) break;
      cnames.push(next);
      owner = next.data;
    }
  }
  const answers = records.filter((r): r is DnsRecord<T> => r.type === type && r.name === owner);
  const rcode = (packet as { rcode?: string }).rcode ?? 'NOERROR';
  return { name: qname, type, rcode, ad: packet.flag_ad, answers, cnames, tcp, server };
}
