import type { DnsRecord, Rcode, RRType } from './types.js';

/** How a name misbehaves on purpose, for labs and tests of resolver failures. */
export type FailureMode = 'timeout' | 'servfail' | 'refused' | 'malformed';

/** An in-memory DNS namespace: records, which zones are signed, and names that fail. */
export interface ZoneData {
  records: DnsRecord[];
  /** Apex names of zones whose answers a validating resolver would mark authenticated. */
  signedZones: string[];
  /** Names (exact, lower case) whose queries fail in the given way. */
  failures?: Record<string, FailureMode>;
}

export interface Lookup {
  rcode: Rcode;
  ad: boolean;
  /** CNAME chain followed, then the records of the asked type. */
  cnames: DnsRecord<'CNAME'>[];
  answers: DnsRecord[];
  failure?: FailureMode;
}

const MAX_CNAME_CHAIN = 8;

export function normaliseName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/**
 * Answers queries from zone data the way a recursive, validating resolver would:
 * follows CNAMEs, tells NXDOMAIN from NODATA (empty non-terminals exist), sets AD under signed zones.
 */
export class ZoneIndex {
  private readonly byName = new Map<string, DnsRecord[]>();
  private readonly existing = new Set<string>();
  private readonly signed: string[];
  private readonly failures: Map<string, FailureMode>;

  constructor(data: ZoneData) {
    for (const r of data.records) {
      const name = normaliseName(r.name);
      const list = this.byName.get(name) ?? [];
      list.push({ ...r, name });
      this.byName.set(name, list);
      // Every ancestor exists as an empty non-terminal (RFC 8020: NXDOMAIN means nothing below).
      const labels = name.split('.');
      for (let i = 0; i < labels.length; i++) this.existing.add(labels.slice(i).join('.'));
    }
    this.signed = data.signedZones.map(normaliseName);
    this.failures = new Map(Object.entries(data.failures ?? {}).map(([k, v]) => [normaliseName(k), v]));
  }

  isSigned(name: string): boolean {
    const n = normaliseName(name);
    return this.signed.some((z) => n === z || n.endsWith(`.${z}`));
  }

  lookup(qname: string, type: RRType): Lookup {
    let name = normaliseName(qname);
    const cnames: DnsRecord<'CNAME'>[] = [];
    let ad = true;
    for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
      const failure = this.failures.get(name);
      if (failure) return { rcode: 'SERVFAIL', ad: false, cnames, answers: [], failure };
      ad = ad && this.isSigned(name);
      const here = this.byName.get(name) ?? [];
      const answers = here.filter((r) => r.type === type);
      if (answers.length > 0 || type === 'CNAME') return { rcode: 'NOERROR', ad, cnames, answers };
      const cname = here.find((r): r is DnsRecord<'CNAME'> => r.type === 'CNAME');
      if (!cname) {
        return { rcode: this.existing.has(name) ? 'NOERROR' : 'NXDOMAIN', ad, cnames, answers: [] };
      }
      cnames.push(cname);
      name = normaliseName(cname.data);
    }
    return { rcode: 'SERVFAIL', ad: false, cnames, answers: [] };
  }
}
