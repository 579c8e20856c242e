/**
 * The remediation for MTA-STS policy findings: the exact policy file to serve and the `_mta-sts`
 * record announcing it.
 */
import { createHash } from 'node:crypto';
import { MTA_STS_MAX_AGE_MAX_S, MTA_STS_MAX_AGE_RECOMMENDED_S } from '../../core/limits.js';
import { zoneTxt } from '../tag-list.js';
import { mxMatchesPattern, type MtaStsPolicy } from './parse.js';

/**
 * The policy to publish for these MX hosts: enforce, patterns already in use that still match an MX,
 * the MX hosts no pattern covers, and the current max_age when it is sensible.
 */
export function recommendedPolicy(mxHosts: string[], current?: MtaStsPolicy): string {
  const hosts = [...new Set(mxHosts.map((h) => h.toLowerCase().replace(/\.$/, '')).filter((h) => h !== ''))];
  const kept = (current?.mx ?? []).filter(
    (p) => hosts.length === 0 || hosts.some((h) => mxMatchesPattern(h, p)),
  );
  const added = hosts.filter((h) => !kept.some((p) => mxMatchesPattern(h, p)));
  const patterns = [...kept, ...added];
  const age = current?.maxAge;
  const maxAge =
    age !== undefined && age >= MTA_STS_MAX_AGE_RECOMMENDED_S && age <= MTA_STS_MAX_AGE_MAX_S
      ? age
      : MTA_STS_MAX_AGE_RECOMMENDED_S;
  return [
    'version: STSv1',
    'mode: enforce',
    ...(patterns.length > 0 ? patterns.map((p) => `mx: ${p}`) : ['mx: <each MX host name>']),
    `max_age: ${maxAge}`,
    '',
  ].join('\r\n');
}

/** The remediation: the policy file to serve and the record announcing it (the id hashes the text). */
export function policyRemediation(domain: string, mxHosts: string[], current?: MtaStsPolicy): string {
  const text = recommendedPolicy(mxHosts, current);
  const id = createHash('sha256').update(text).digest('hex').slice(0, 20);
  return [
    `Serve this at https://mta-sts.${domain}/.well-known/mta-sts.txt (HTTP 200, Content-Type: text/plain, no`,
    `redirect, certificate valid for mta-sts.${domain}), lines ending in CRLF:`,
    '',
    text.trimEnd().replace(/\r\n/g, '\n'),
    '',
    'and announce it (a new id tells senders the policy changed):',
    zoneTxt(`_mta-sts.${domain}`, `v=STSv1; id=${id}`),
  ].join('\n');
}
