/**
 * The `_mta-sts` TXT record as the policy findings need it: present with an id, absent, malformed, or
 * not looked up. Parsing is the record check's (src/domain/mta-sts-record.ts); this only summarises.
 */
import type { Resolver } from '../../dns/types.js';
import { isStsRecord, validateStsRecord } from '../mta-sts-record.js';
import { dnsLookup, txtTexts, type LookupOutcome } from '../tag-list.js';

/** What the `_mta-sts.<domain>` TXT lookup showed. */
export type MtaStsRecordState =
  | { state: 'valid'; id: string; text: string }
  | { state: 'absent' }
  | { state: 'invalid'; texts: string[]; problems: string[] }
  | { state: 'error'; reason: string };

/** Summarises a finished `_mta-sts` TXT lookup. */
export function mtaStsRecordState(lookup: LookupOutcome<'TXT'>): MtaStsRecordState {
  if (!lookup.ok) return { state: 'error', reason: lookup.reason };
  const texts = txtTexts(lookup.result).filter(isStsRecord);
  if (texts.length === 0) return { state: 'absent' };
  if (texts.length > 1) {
    return {
      state: 'invalid',
      texts,
      problems: [`${texts.length} records start with v=STSv1; exactly one is allowed`],
    };
  }
  const text = texts[0] ?? '';
  const { id, problems } = validateStsRecord(text);
  if (problems.length > 0 || id === undefined) return { state: 'invalid', texts, problems };
  return { state: 'valid', id, text };
}

/** Looks up `_mta-sts.<domain>` TXT through the resolver seam and summarises it; never throws. */
export async function lookupMtaStsRecord(
  domain: string,
  resolver: Resolver,
  signal?: AbortSignal,
): Promise<MtaStsRecordState> {
  const ctx = signal ? { resolver, signal } : { resolver, signal: new AbortController().signal };
  return mtaStsRecordState(await dnsLookup(ctx, `_mta-sts.${domain}`, 'TXT'));
}
