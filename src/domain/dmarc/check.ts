/**
 * The DMARC check: discovery, then one finding per aspect of the record in force.
 */
import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import type { DomainCheck } from '../types.js';
import { zoneTxt } from '../tag-list.js';
import {
  DMARC_CONTROLS as CONTROLS,
  defaultRua,
  discoverDmarc,
  discoveryEvidence,
  type DmarcFacts,
} from './discover.js';
import { parseDmarc } from './parse.js';
import {
  alignmentFinding,
  foFinding,
  pctFinding,
  policyFinding,
  subdomainFinding,
  syntaxFinding,
} from './policy.js';
import { externalAuthFindings, ruaFinding, rufFinding } from './reports.js';

/** DMARC checks (`dmarc.*`): record discovery, syntax, policy strength and reporting. */
export const dmarcCheck: DomainCheck = async (ctx) => {
  const d = await discoverDmarc(ctx);
  const lookups = discoveryEvidence(d);
  if (d.error) {
    return [
      finding({
        id: 'dmarc.record',
        status: 'error',
        severity: 'medium',
        title: 'The DMARC record could not be looked up',
        detail: `DMARC was not assessed: ${d.error}. A failed lookup is not evidence that the record is absent.`,
        evidence: { lookups },
        controls: CONTROLS,
      }),
    ];
  }
  if (d.candidates.length === 0) {
    const misplaced =
      d.misplaced.length > 0
        ? ' A TXT record carrying v=DMARC1 exists, but not as its first tag, so receivers discard it (RFC 7489 §6.6.3).'
        : '';
    const where = d.orgDomain !== d.domain ? ` or at _dmarc.${d.orgDomain}` : '';
    return [
      finding({
        id: 'dmarc.record',
        status: 'fail',
        severity: 'high',
        title: 'The domain has no DMARC record',
        detail: `No DMARC record was found at _dmarc.${d.domain}${where}.${misplaced} Receivers have no policy for mail that fails SPF and DKIM, so anyone can send mail in the domain\u2019s name and nobody is told.`,
        evidence: { lookups, misplaced: d.misplaced },
        controls: CONTROLS,
        remediation: [
          zoneTxt(`_dmarc.${d.domain}`, `v=DMARC1; p=reject; rua=${defaultRua(d)}`),
          '; if some legitimate senders may not align yet, start with p=none, read the aggregate reports, then move to p=reject',
        ].join('\n'),
      }),
    ];
  }
  if (d.candidates.length > 1) {
    return [
      finding({
        id: 'dmarc.record',
        status: 'fail',
        severity: 'high',
        title: 'The domain publishes more than one DMARC record',
        detail: `_dmarc.${d.policyDomain} has ${d.candidates.length} TXT records starting with v=DMARC1. RFC 7489 §6.6.3 tells receivers to ignore them all, so no DMARC policy applies.`,
        evidence: { lookups, records: d.candidates },
        controls: CONTROLS,
        remediation: `; delete all but one of the records, e.g. keep only:\n${zoneTxt(`_dmarc.${d.policyDomain}`, d.candidates[0] ?? '')}`,
      }),
    ];
  }
  const text = d.candidates[0] ?? '';
  const rec = parseDmarc(text);
  const facts: DmarcFacts = {
    ctx,
    discovery: d,
    rec,
    evidence: { lookups, policyDomain: d.policyDomain, inherited: d.inherited, record: text },
  };
  const out: Finding[] = [
    finding({
      id: 'dmarc.record',
      status: 'pass',
      title: d.inherited
        ? 'DMARC applies through the organisational domain'
        : 'The domain publishes a DMARC record',
      detail: d.inherited
        ? `${d.domain} has no DMARC record of its own; receivers apply the record at _dmarc.${d.policyDomain}.`
        : `One DMARC record is published at _dmarc.${d.domain}.`,
      evidence: facts.evidence,
      controls: CONTROLS,
    }),
    syntaxFinding(facts),
    policyFinding(facts),
    subdomainFinding(facts),
    pctFinding(facts),
    alignmentFinding(facts),
    foFinding(facts),
    ruaFinding(facts),
    ...(await externalAuthFindings(facts)),
    rufFinding(facts),
  ];
  return out;
};
