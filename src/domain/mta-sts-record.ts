/**
 * The MTA-STS discovery record (RFC 8461 §3.1). Fetching the policy itself is a separate check.
 */
import { finding } from '../core/make-finding.js';
import { findSingleTxtRecord } from './single-txt-record.js';
import type { DomainCheck, DomainContext } from './types.js';
import {
  absolute,
  describeTagProblem,
  dnsLookup,
  parseTagList,
  suggestedTtl,
  zoneTxt,
  type LookupOutcome,
} from './tag-list.js';

const CONTROLS = ['transport.mta-sts'];
// RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT).
const STS_ID = /^[A-Za-z0-9]{1,32}$/;
// RFC 8461 §3.1: sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
const STS_EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
// Accepted by the parser so that an over-long extension name is reported as such, not as garbage.
const LOOSE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** True when a TXT string is an MTA-STS record candidate: it starts with `v=STSv1;` or is exactly `v=STSv1`. */
export function isStsRecord(text: string): boolean {
  return /^v=STSv1[ \t]*(;|$)/.test(text);
}

/** What is wrong with an MTA-STS record (empty when it is valid), and its id. */
export function validateStsRecord(text: string): { id?: string; problems: string[] } {
  const list = parseTagList(text, { namePattern: LOOSE_NAME });
  const problems = list.problems.map(describeTagProblem);
  if (list.tags[0]?.name !== 'v' || list.tags[0].value !== 'STSv1')
    problems.push('the record must start with v=STSv1');
  const id = list.map.get('id');
  if (id === undefined) problems.push('the id= field is missing');
  else if (!STS_ID.test(id)) problems.push(`id=${id} must be 1 to 32 letters and digits`);
  for (const t of list.tags) {
    if (t.name !== 'v' && t.name !== 'id' && !STS_EXT_NAME.test(t.name))
      problems.push(`invalid extension name "${t.name}"`);
  }
  return { ...(id !== undefined ? { id } : {}), problems };
}

/** A policy id derived from the scan clock: letters and digits only, as RFC 8461 requires. */
function freshId(ctx: DomainContext): string {
  return ctx
    .clock()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
}

async function remediation(ctx: DomainContext, lookup: LookupOutcome<'TXT'>): Promise<string> {
  // The MX hosts go into the policy file; the MX answer is already in the scan's resolver cache.
  const mx = await dnsLookup(ctx, ctx.domain, 'MX');
  const hosts = mx.ok
    ? mx.result.answers.map((r) => r.data.exchange.replace(/\.+$/, '')).filter((h) => h !== '')
    : [];
  const policy = [
    'version: STSv1',
    'mode: testing',
    ...(hosts.length > 0 ? [...new Set(hosts)].map((h) => `mx: ${h}`) : ['mx: <each MX host name>']),
    'max_age: 86400',
  ];
  return [
    zoneTxt(`_mta-sts.${ctx.domain}`, `v=STSv1; id=${freshId(ctx)}`, suggestedTtl(lookup)),
    `; the record only announces a policy; also serve https://mta-sts.${ctx.domain}/.well-known/mta-sts.txt`,
    `; (a valid certificate for mta-sts.${ctx.domain} is required), with for example:`,
    ...policy.map((l) => `;   ${l}`),
    '; then move to "mode: enforce" once TLS reports show no failures, and change id= at every policy change',
    `; the host needs its own address records, e.g. mta-sts.${absolute(ctx.domain)} 3600 IN CNAME <your web host>.`,
  ].join('\n');
}

/** `mta-sts.record`: the `_mta-sts` TXT record that tells senders an MTA-STS policy exists. */
export const mtaStsRecordCheck: DomainCheck = async (ctx) => {
  const name = `_mta-sts.${ctx.domain}`;
  const found = await findSingleTxtRecord(ctx, {
    id: 'mta-sts.record',
    name,
    controls: CONTROLS,
    severity: 'medium',
    isCandidate: isStsRecord,
    lookupError: { title: 'The MTA-STS record could not be looked up', notAssessed: 'MTA-STS' },
    nullMx: {
      title: 'MTA-STS is not needed: the domain accepts no mail (null MX)',
      detail: `${ctx.domain} publishes a null MX, so no server delivers mail to it and there is no inbound transport to protect.`,
    },
    absentStatus: 'fail',
    absent: {
      title: 'The domain publishes no MTA-STS policy',
      detail: `There is no TXT record starting with v=STSv1 at ${name}. Without MTA-STS, sending servers fall back to plaintext or accept any certificate when STARTTLS is stripped or spoofed, exposing the mail in transit.`,
      remediation: (lookup) => remediation(ctx, lookup),
    },
    duplicated: {
      title: 'The domain publishes more than one MTA-STS record',
      detail: (count) =>
        `${name} has ${count} TXT records starting with v=STSv1; RFC 8461 §3.1 tells senders to assume no policy then.`,
      remediation: (lookup) =>
        `; keep exactly one record:\n${zoneTxt(name, `v=STSv1; id=${freshId(ctx)}`, suggestedTtl(lookup))}`,
    },
  });
  if (!found.found) return found.findings;
  const { record, lookup, evidence } = found;
  const { id, problems } = validateStsRecord(record);
  if (problems.length > 0) {
    return [
      finding({
        id: 'mta-sts.record',
        status: 'fail',
        severity: 'medium',
        title: 'The MTA-STS record is malformed',
        detail: `${problems.join('; ')}. Senders treat a malformed record as no policy (RFC 8461 §3.1).`,
        evidence: { ...evidence, record, problems },
        controls: CONTROLS,
        remediation: zoneTxt(name, `v=STSv1; id=${freshId(ctx)}`, suggestedTtl(lookup)),
      }),
    ];
  }
  return [
    finding({
      id: 'mta-sts.record',
      status: 'pass',
      title: 'The domain announces an MTA-STS policy',
      detail: `${name} holds a valid MTA-STS record (id=${id}). The policy it announces must also be served over HTTPS at mta-sts.${ctx.domain}.`,
      evidence: { ...evidence, record, id },
      controls: CONTROLS,
    }),
  ];
};
