import { DnsError, describeError } from '../../core/errors.js';
import type { Resolver } from '../../dns/types.js';
import { isSpfRecordText } from './parse.js';

/** What a TXT lookup for an SPF record found (RFC 7208 §4.4, §4.5). Only TXT is used (§3.1). */
export type SpfRecordLookup =
  | { status: 'found'; record: string }
  | { status: 'none'; nxdomain: boolean }
  | { status: 'multiple'; records: string[] }
  | { status: 'error'; reason: string };

/** Fetches and selects the SPF record of `domain`. DNS failures are a status, never an exception. */
export async function lookupSpfRecord(
  resolver: Resolver,
  domain: string,
  signal?: AbortSignal,
): Promise<SpfRecordLookup> {
  let res;
  try {
    res = await resolver.query(domain, 'TXT', signal ? { signal } : undefined);
  } catch (err) {
    // A name the resolver refuses to put on the wire cannot hold a record.
    if (err instanceof DnsError && err.code === 'E_DOMAIN_INVALID') return { status: 'none', nxdomain: true };
    return { status: 'error', reason: `TXT lookup failed (${describeError(err)})` };
  }
  if (res.rcode === 'NXDOMAIN') return { status: 'none', nxdomain: true };
  if (res.rcode !== 'NOERROR') return { status: 'error', reason: `TXT lookup answered ${res.rcode}` };
  const records = res.answers.map((r) => r.data.text).filter(isSpfRecordText);
  if (records.length === 0) return { status: 'none', nxdomain: false };
  if (records.length > 1) return { status: 'multiple', records };
  return { status: 'found', record: records[0] ?? '' };
}
