/**
 * DMARC policy discovery (RFC 7489 §6.6.3): `_dmarc.<domain>`, then `_dmarc.<organisational domain>`.
 */
import type { DomainContext } from '../types.js';
import {
  dnsLookup,
  lookupEvidence,
  suggestedTtl,
  txtTexts,
  zoneTxt,
  type LookupOutcome,
} from '../tag-list.js';
import { hasMisplacedVersion, isDmarcRecord, renderDmarc, type DmarcRecord } from './parse.js';
import { orgDomain } from './uri.js';

export const DMARC_CONTROLS = ['auth.dmarc'];

/** What discovery found: where the policy in force lives and every answer seen on the way. */
export interface DmarcDiscovery {
  domain: string;
  orgDomain: string;
  /** The domain whose `_dmarc` record is in force (the domain itself, or its organisational domain). */
  policyDomain: string;
  /** The record came from the organisational domain, so `sp` applies to the domain. */
  inherited: boolean;
  lookups: LookupOutcome<'TXT'>[];
  /** Set when a lookup could not be completed: discovery is then inconclusive. */
  error?: string;
  /** TXT strings at the policy domain that start with v=DMARC1. */
  candidates: string[];
  /** TXT strings seen that carry v=DMARC1 but not first, so receivers discard them. */
  misplaced: string[];
}

/** Looks up the DMARC record in force for `ctx.domain`, querying the organisational domain only when needed. */
export async function discoverDmarc(ctx: DomainContext): Promise<DmarcDiscovery> {
  const org = orgDomain(ctx.domain);
  const d: DmarcDiscovery = {
    domain: ctx.domain,
    orgDomain: org,
    policyDomain: ctx.domain,
    inherited: false,
    lookups: [],
    candidates: [],
    misplaced: [],
  };
  const names = org !== ctx.domain ? [ctx.domain, org] : [ctx.domain];
  for (const name of names) {
    const o = await dnsLookup(ctx, `_dmarc.${name}`, 'TXT');
    d.lookups.push(o);
    if (!o.ok) {
      // Falling back past a failed lookup could report the parent's policy for a domain that has its own.
      d.error = `the TXT query for _dmarc.${name} could not be completed (${o.reason})`;
      return d;
    }
    const texts = txtTexts(o.result);
    d.misplaced.push(...texts.filter(hasMisplacedVersion));
    const found = texts.filter(isDmarcRecord);
    if (found.length > 0) {
      d.policyDomain = name;
      d.inherited = name !== ctx.domain;
      d.candidates = found;
      return d;
    }
  }
  return d;
}

/** Everything the DMARC findings are judged from once a single record was found. */
export interface DmarcFacts {
  ctx: DomainContext;
  discovery: DmarcDiscovery;
  rec: DmarcRecord;
  /** Evidence shared by every DMARC finding: the lookups and the record in force. */
  evidence: { lookups: Record<string, unknown>[]; policyDomain: string; inherited: boolean; record: string };
}

/** Evidence of the discovery lookups. */
export function discoveryEvidence(d: DmarcDiscovery): Record<string, unknown>[] {
  return d.lookups.map(lookupEvidence);
}

/** Changes that remove what receivers would ignore or reject: unknown tags, bad values, malformed URIs. */
export function cleanChanges(rec: DmarcRecord): Record<string, string | undefined> {
  const changes: Record<string, string | undefined> = {};
  for (const t of rec.unknownTags) changes[t] = undefined;
  for (const p of rec.problems) {
    if (p.kind !== 'bad-value' || !p.tag) continue;
    if (p.tag === 'rua' || p.tag === 'ruf') {
      const good = rec[p.tag].filter((u) => !u.problem).map((u) => u.raw);
      changes[p.tag] = good.length > 0 ? good.join(',') : undefined;
    } else if (p.tag === 'p') changes.p = rec.policy ?? 'none';
    else changes[p.tag] = undefined;
  }
  if (rec.p === undefined && changes.p === undefined) changes.p = rec.policy ?? 'none';
  return changes;
}

/** The record at the policy domain with `changes` applied on top of the clean-up, in zone-file form. */
export function dmarcFix(f: DmarcFacts, changes: Record<string, string | undefined>): string {
  const last = f.discovery.lookups[f.discovery.lookups.length - 1];
  const all = { ...cleanChanges(f.rec), ...changes };
  return zoneTxt(`_dmarc.${f.discovery.policyDomain}`, renderDmarc(f.rec, all), suggestedTtl(last));
}

/** The default aggregate-report address suggested in remediations. */
export function defaultRua(d: DmarcDiscovery): string {
  return `mailto:dmarc-reports@${d.orgDomain}`;
}
