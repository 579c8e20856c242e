import { DnsError } from '../core/errors.js';
import type { DnsRecord, DnsResult, QueryOptions, Resolver, RRType } from './types.js';
import { ZoneIndex, normaliseName, type ZoneData } from './zone-data.js';

/**
 * A resolver answering from in-memory zone data, for unit tests and conformance suites.
 * Failure modes behave like the network client: `timeout` throws E_DNS_TIMEOUT, `malformed`
 * throws E_DNS_MALFORMED, `servfail`/`refused` are rcodes.
 */
export class MemoryResolver implements Resolver {
  readonly index: ZoneIndex;
  /** Every query asked, in order: tests use it to count lookups. */
  readonly log: { name: string; type: RRType }[] = [];

  constructor(data: ZoneData | ZoneIndex) {
    this.index = data instanceof ZoneIndex ? data : new ZoneIndex(data);
  }

  async query<T extends RRType>(name: string, type: T, options?: QueryOptions): Promise<DnsResult<T>> {
    if (options?.signal?.aborted) throw new DnsError('E_DNS_ABORTED', 'query aborted');
    const qname = normaliseName(name);
    this.log.push({ name: qname, type });
    const found = this.index.lookup(qname, type);
    if (found.failure === 'timeout') throw new DnsError('E_DNS_TIMEOUT', `no answer for ${type} query`);
    if (found.failure === 'malformed')
      throw new DnsError('E_DNS_MALFORMED', `malformed answer for ${type} query`);
    const rcode = found.failure === 'refused' ? 'REFUSED' : found.rcode;
    return {
      name: qname,
      type,
      rcode,
      ad: found.ad,
      answers: found.answers as DnsRecord<T>[],
      cnames: found.cnames,
      tcp: false,
      server: 'memory',
    };
  }
}
