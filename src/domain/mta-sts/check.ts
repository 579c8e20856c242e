/**
 * The whole MTA-STS policy check for one domain: the `_mta-sts` record and the policy fetch run side
 * by side, then the `mta-sts.policy.*` findings are drawn from both.
 */
import type { Finding } from '../../core/finding.js';
import { fetchMtaStsPolicy, type MtaStsFetchOptions } from './fetch.js';
import { mtaStsPolicyFindings } from './findings.js';
import { lookupMtaStsRecord } from './record.js';

export interface MtaStsPolicyCheckOptions extends MtaStsFetchOptions {
  /** The domain's MX host names, compared with the policy's mx patterns. */
  mxHosts: string[];
}

/**
 * Looks up `_mta-sts.<domain>`, fetches the policy and returns the `mta-sts.policy.*` findings. Never throws.
 * @example await checkMtaStsPolicy('example.org', { resolver, dialer, mxHosts: ['mx1.example.org'] })
 */
export async function checkMtaStsPolicy(domain: string, o: MtaStsPolicyCheckOptions): Promise<Finding[]> {
  const [record, fetched] = await Promise.all([
    lookupMtaStsRecord(domain, o.resolver, o.signal),
    fetchMtaStsPolicy(domain, o),
  ]);
  return mtaStsPolicyFindings(domain, record, fetched, o.mxHosts);
}
