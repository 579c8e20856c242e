/**
 * Builders for domain-check tests: records in ZoneData form and a DomainContext over a MemoryResolver.
 */
import type { Finding } from '../../../src/core/finding.js';
import type { DnsRecord } from '../../../src/dns/types.js';
import { MemoryResolver } from '../../../src/dns/memory-resolver.js';
import type { FailureMode } from '../../../src/dns/zone-data.js';
import type { DomainContext } from '../../../src/domain/types.js';

export const rr = {
  mx: (name: string, preference: number, exchange: string, ttl = 3600): DnsRecord => ({
    name,
    type: 'MX',
    ttl,
    data: { preference, exchange },
  }),
  txt: (name: string, ...strings: string[]): DnsRecord => ({
    name,
    type: 'TXT',
    ttl: 3600,
    data: { text: strings.join(''), strings },
  }),
  a: (name: string, address: string): DnsRecord => ({ name, type: 'A', ttl: 3600, data: address }),
  aaaa: (name: string, address: string): DnsRecord => ({ name, type: 'AAAA', ttl: 3600, data: address }),
  cname: (name: string, target: string): DnsRecord => ({ name, type: 'CNAME', ttl: 3600, data: target }),
  soa: (name: string): DnsRecord => ({
    name,
    type: 'SOA',
    ttl: 3600,
    data: {
      mname: `ns.${name}`,
      rname: `hostmaster.${name}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 300,
    },
  }),
};

export interface ZoneOptions {
  signed?: string[];
  failures?: Record<string, FailureMode>;
  dkimSelectors?: string[];
  now?: Date;
}

/** A context for `domain` answering from `records`, with the resolver for counting queries. */
export function zoneContext(
  domain: string,
  records: DnsRecord[],
  opts: ZoneOptions = {},
): { ctx: DomainContext; resolver: MemoryResolver } {
  const resolver = new MemoryResolver({
    records,
    signedZones: opts.signed ?? [],
    failures: opts.failures ?? {},
  });
  const now = opts.now ?? new Date('2025-03-01T12:00:00Z');
  const ctx: DomainContext = {
    domain,
    resolver,
    clock: () => now,
    signal: new AbortController().signal,
    options: { dkimSelectors: opts.dkimSelectors ?? [] },
  };
  return { ctx, resolver };
}

/** The single finding with this id; fails the test when there is none or more than one. */
export function only(findings: Finding[], id: string): Finding {
  const hits = findings.filter((f) => f.id === id);
  if (hits.length !== 1)
    throw new Error(
      `expected one ${id} finding, got ${hits.length}: ${findings.map((f) => f.id).join(', ')}`,
    );
  return hits[0] as Finding;
}
