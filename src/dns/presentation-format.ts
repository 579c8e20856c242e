import type { DnsRecord, RecordDataMap, RRType } from './types.js';
import { textBytes, wireName } from './wire.js';

/**
 * Formats a record as one presentation line with absolute names, which `parsePresentation`
 * reads back to the same record (TXT bytes outside printable ASCII are written as \DDD).
 * @example toPresentation({ name: 'example.org', type: 'MX', ttl: 300, data: { preference: 0, exchange: '' } })
 *   // 'example.org. 300 IN MX 0 .'
 */
export function toPresentation(record: DnsRecord): string {
  return `${absolute(record.name)} ${record.ttl} IN ${record.type} ${formatData(record)}`;
}

function formatData(record: DnsRecord): string {
  const d = record.data as RecordDataMap[RRType];
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return d as string;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return absolute(d as string);
    case 'MX': {
      const mx = d as RecordDataMap['MX'];
      return `${mx.preference} ${absolute(mx.exchange)}`;
    }
    case 'TXT':
    case 'SPF':
      return (d as RecordDataMap['TXT']).strings.map(quote).join(' ');
    case 'SOA': {
      const s = d as RecordDataMap['SOA'];
      return [absolute(s.mname), absolute(s.rname), s.serial, s.refresh, s.retry, s.expire, s.minimum].join(
        ' ',
      );
    }
    case 'TLSA': {
      const t = d as RecordDataMap['TLSA'];
      return `${t.usage} ${t.selector} ${t.matchingType} ${t.data}`;
    }
    case 'DS': {
      const s = d as RecordDataMap['DS'];
      return `${s.keyTag} ${s.algorithm} ${s.digestType} ${s.digest}`;
    }
    case 'DNSKEY': {
      const k = d as RecordDataMap['DNSKEY'];
      return `${k.flags} ${k.protocol} ${k.algorithm} ${k.publicKey}`;
    }
  }
  return '';
}

function absolute(name: string): string {
  const n = wireName(name);
  return n === '' ? '.' : `${n}.`;
}

function quote(s: string): string {
  let out = '"';
  for (const b of textBytes(s)) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${String(b).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}
