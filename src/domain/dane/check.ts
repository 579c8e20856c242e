/**
 * The whole DANE check for one MX host: the TLSA lookup, then the `dane.*` findings against the
 * certificate chain the SMTP probe saw.
 */
import type { Finding } from '../../core/finding.js';
import type { Resolver } from '../../dns/types.js';
import type { PeerCertificate } from '../../smtp/types.js';
import { daneFindings } from './findings.js';
import { lookupTlsa } from './tlsa.js';

export interface DaneCheckOptions {
  resolver: Resolver;
  signal?: AbortSignal;
  /** The chain the SMTP probe was served (leaf first); absent when no TLS session was had. */
  chain?: PeerCertificate[];
  /** Whether the domain's zone is DNSSEC-signed (from the DNSSEC check). */
  zoneSigned: boolean;
  /** Validity dates of a DANE-TA chain are checked at this time. */
  now?: Date;
}

/**
 * Looks up `_25._tcp.<mx>` TLSA and returns the `dane.*` findings for that MX host. Never throws.
 * @example await checkDane('mx1.example.org', { resolver, chain: probe.tls?.chain, zoneSigned: true })
 */
export async function checkDane(mxHost: string, o: DaneCheckOptions): Promise<Finding[]> {
  const tlsa = await lookupTlsa(mxHost, o.resolver, o.signal);
  return daneFindings(mxHost, tlsa, o.chain, o.zoneSigned, o.now ? { now: o.now } : {});
}
