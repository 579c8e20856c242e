/**
 * SPF posture (RFC 7208): one valid record, within the processing limits, ending in a strict
 * "all", authorising no more address space than the organisation sends from.
 */
import { describeError } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { lookupMx } from '../mx.js';
import type { DomainCheck, DomainContext } from '../types.js';
import { mergeRecords, txtLine } from './advice.js';
import {
  allFinding,
  baseEvidence,
  broadFinding,
  loopFinding,
  lookupsFinding,
  make,
  ptrFinding,
  syntaxFinding,
  voidFinding,
} from './findings.js';
import { walkSpf, type SpfTree } from './tree.js';

async function missingRecord(ctx: DomainContext, nxdomain: boolean): Promise<Finding> {
  const mx = await lookupMx(ctx);
  const noSend = txtLine(ctx.domain, 'v=spf1 -all');
  const send = txtLine(
    ctx.domain,
    mx.hosts.length > 0 ? 'v=spf1 mx -all' : 'v=spf1 ip4:SENDING-SERVER-ADDRESS -all',
  );
  const remediation = mx.hasNullMx
    ? `The domain declares with a null MX that it takes no mail; declare that it sends none either:\n${noSend}`
    : `Publish one record listing the hosts that send for the domain, adding include:<provider> for each e-mail service that sends for you:\n${send}\nIf the domain sends no mail at all, publish instead:\n${noSend}`;
  return make({
    id: 'spf.record',
    status: 'fail',
    severity: 'high',
    title: 'No SPF record: receivers cannot tell forged mail from the real thing',
    detail: `${ctx.domain} ${nxdomain ? 'does not exist in DNS' : 'has no TXT record starting with "v=spf1"'}, so receivers get SPF result "none" and anyone can send mail in its name without failing SPF.`,
    evidence: { domain: ctx.domain, nxdomain, nullMx: mx.hasNullMx },
    remediation,
  });
}

function recordFindings(tree: SpfTree): Finding[] {
  const root = tree.root;
  if (root.problem?.kind === 'multiple') {
    const records = root.records ?? [];
    return [
      make({
        id: 'spf.record',
        status: 'fail',
        severity: 'high',
        title: 'Several SPF records: receivers treat the policy as broken',
        detail: `${tree.domain} publishes ${records.length} TXT records starting with "v=spf1". RFC 7208 §4.5 makes that a permerror, so no SPF protection applies and DMARC cannot use SPF.`,
        evidence: { domain: tree.domain, records },
        remediation: `Replace them with a single record, for example (check the merged terms):\n${txtLine(tree.domain, mergeRecords(records))}`,
      }),
    ];
  }
  return [
    make({
      id: 'spf.record',
      status: 'pass',
      title: 'The domain publishes one SPF record',
      detail: `${tree.domain} publishes: ${root.record ?? ''}`,
      evidence: { domain: tree.domain, record: root.record },
    }),
  ];
}

function dnsFinding(tree: SpfTree): Finding | undefined {
  if (tree.dnsErrors.length === 0) return undefined;
  const lines = tree.dnsErrors.map((e) => `${e.domain}${e.term ? ` (${e.term})` : ''}: ${e.reason}`);
  return make({
    id: 'spf.dns',
    status: 'error',
    severity: 'medium',
    title: 'Some SPF lookups failed, so the policy could not be fully checked',
    detail: `DNS lookups needed to evaluate the SPF policy did not complete: ${lines.join('; ')}. Receivers meeting the same failures return temperror and may defer mail.`,
    evidence: { ...baseEvidence(tree), failures: tree.dnsErrors },
    remediation: `Make sure every authoritative name server of the listed names answers TXT, A, AAAA and MX queries (no timeouts or SERVFAIL), then re-run the check.`,
  });
}

async function runSpfCheck(ctx: DomainContext): Promise<Finding[]> {
  const tree = await walkSpf(ctx.domain, ctx);
  const root = tree.root;
  if (root.problem?.kind === 'dns') {
    return [
      make({
        id: 'spf.dns',
        status: 'error',
        severity: 'medium',
        title: 'The SPF record could not be looked up',
        detail: `The TXT lookup for ${ctx.domain} did not complete (${root.problem.message}), so SPF was not assessed. Receivers meeting the same failure return temperror and may defer mail.`,
        evidence: { domain: ctx.domain, failures: tree.dnsErrors },
        remediation: `Make sure every authoritative name server of ${ctx.domain} answers TXT queries (no timeouts or SERVFAIL).`,
      }),
    ];
  }
  if (root.problem?.kind === 'none') return [await missingRecord(ctx, root.nxdomain === true)];
  const out = recordFindings(tree);
  if (root.problem?.kind === 'multiple') return out;
  const dns = dnsFinding(tree);
  if (dns) out.push(dns);
  out.push(
    syntaxFinding(tree),
    lookupsFinding(tree),
    voidFinding(tree),
    allFinding(tree),
    ptrFinding(tree),
    loopFinding(tree),
    broadFinding(tree),
  );
  return out;
}

/** SPF checks: record presence, syntax, lookup limits, the final "all", ptr, loops, breadth, DNS failures. */
export const spfCheck: DomainCheck = async (ctx) => {
  try {
    return await runSpfCheck(ctx);
  } catch (err) {
    return [
      make({
        id: 'spf.record',
        status: 'error',
        severity: 'medium',
        title: 'The SPF check could not be completed',
        detail: `The SPF policy of ${ctx.domain} could not be assessed: ${describeError(err)}.`,
        evidence: { domain: ctx.domain },
      }),
    ];
  }
};
