/**
 * The discovery steps that MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) share: one TXT name,
 * one record that starts with a version tag, and the same verdicts when the lookup fails, the
 * domain takes no mail, the record is absent or there is more than one. Only the record's own
 * fields differ, so each check validates those itself once this has found exactly one record.
 */
import type { Finding, Severity } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import { acceptsNoMail } from './mx.js';
import type { DomainContext } from './types.js';
import { dnsLookup, lookupEvidence, txtTexts, type LookupOutcome } from './tag-list.js';

/** A title and a detail, the words a DPO reads for one verdict. */
export interface Wording {
  title: string;
  detail: string;
}

export interface SingleTxtRecordSpec {
  /** The finding id every discovery verdict carries, e.g. `mta-sts.record`. */
  id: string;
  /** The owner name queried, e.g. `_mta-sts.example.org`. */
  name: string;
  controls: string[];
  /** Severity of the lookup error, the absent and the duplicated record alike. */
  severity: Severity;
  /** True for a TXT string that is a candidate record (starts with the version tag). */
  isCandidate(text: string): boolean;
  lookupError: { title: string; notAssessed: string };
  nullMx: Wording;
  /** `fail` where the record is a protection, `warn` where it only reports. */
  absentStatus: 'fail' | 'warn';
  absent: Wording & { remediation(lookup: LookupOutcome<'TXT'>): string | Promise<string> };
  duplicated: {
    title: string;
    detail(count: number): string;
    remediation(lookup: LookupOutcome<'TXT'>): string;
  };
}

/** Either the verdict is already reached, or exactly one record was found for the check to judge. */
export type SingleTxtRecordOutcome =
  | { found: false; findings: Finding[] }
  | {
      found: true;
      record: string;
      lookup: LookupOutcome<'TXT'>;
      evidence: { lookup: Record<string, unknown> };
    };

export async function findSingleTxtRecord(
  ctx: DomainContext,
  spec: SingleTxtRecordSpec,
): Promise<SingleTxtRecordOutcome> {
  const { id, name, controls, severity } = spec;
  const lookup = await dnsLookup(ctx, name, 'TXT');
  const evidence = { lookup: lookupEvidence(lookup) };
  const verdict = (f: Finding): SingleTxtRecordOutcome => ({ found: false, findings: [f] });
  if (!lookup.ok) {
    return verdict(
      finding({
        id,
        status: 'error',
        severity,
        title: spec.lookupError.title,
        detail: `The TXT query for ${name} could not be completed (${lookup.reason}); ${spec.lookupError.notAssessed} was not assessed.`,
        evidence,
        controls,
      }),
    );
  }
  const records = txtTexts(lookup.result).filter((t) => spec.isCandidate(t));
  // A null MX makes the record pointless, so its absence is no fault; asked only when it is absent.
  if (records.length === 0 && (await acceptsNoMail(ctx))) {
    return verdict(finding({ id, status: 'info', ...spec.nullMx, evidence, controls }));
  }
  if (records.length === 0) {
    return verdict(
      finding({
        id,
        status: spec.absentStatus,
        severity,
        title: spec.absent.title,
        detail: spec.absent.detail,
        evidence,
        controls,
        remediation: await spec.absent.remediation(lookup),
      }),
    );
  }
  if (records.length > 1) {
    return verdict(
      finding({
        id,
        status: 'fail',
        severity,
        title: spec.duplicated.title,
        detail: spec.duplicated.detail(records.length),
        evidence: { ...evidence, records },
        controls,
        remediation: spec.duplicated.remediation(lookup),
      }),
    );
  }
  return { found: true, record: records[0] ?? '', lookup, evidence };
}
