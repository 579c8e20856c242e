/**
 * What processor discovery reports: every third party the domain's DNS points mail data to, with
 * the role it plays and the DNS evidence, matched to the catalogue where possible.
 */
import type { TransferMechanism } from '../core/config.js';
import type { Region } from './regions.js';

/** What a processor does with the domain's mail, as its DNS shows. */
export type ProcessorRole =
  | 'outbound-sender'
  | 'inbound-mx'
  | 'dkim-signer'
  | 'report-aggregate'
  | 'report-forensic'
  | 'report-tls'
  | 'mta-sts-host';

/** Every role, in report order. */
export const PROCESSOR_ROLES: readonly ProcessorRole[] = [
  'inbound-mx',
  'outbound-sender',
  'dkim-signer',
  'report-aggregate',
  'report-forensic',
  'report-tls',
  'mta-sts-host',
];

/** Words a DPO reads for each role. */
export const ROLE_LABELS: Record<ProcessorRole, string> = {
  'outbound-sender': 'outbound sender',
  'inbound-mx': 'inbound MX / filtering',
  'dkim-signer': 'DKIM signer',
  'report-aggregate': 'aggregate report receiver',
  'report-forensic': 'forensic report receiver',
  'report-tls': 'TLS report receiver',
  'mta-sts-host': 'MTA-STS policy host',
};

/** One DNS observation that revealed a processor. Report addresses are reduced to their domain. */
export interface ProcessorEvidence {
  role: ProcessorRole;
  /** The record that pointed there: `spf`, `mx`, `dkim`, `dmarc`, `tls-rpt` or `mta-sts`. */
  source: 'spf' | 'mx' | 'dkim' | 'dmarc' | 'tls-rpt' | 'mta-sts';
  /** The third-party name seen (include target, MX host, CNAME target, report domain). */
  name: string;
  /** Where it was seen: the SPF term, the DKIM selector name, the DMARC tag. */
  via?: string;
}

/** What the register (mailcomply.yaml) says about a processor. */
export interface DeclaredFacts {
  /** Index of the entry in `processors:`. */
  entry: number;
  dpa?: string;
  transfer?: TransferMechanism;
  tia?: 'done' | 'pending' | 'not-required';
  purpose?: string;
}

/** One processor of one domain. */
export interface DiscoveredProcessor {
  /** Catalogue id, `declared:<n>` for a register entry outside the catalogue, or `unidentified:<domain>`. */
  key: string;
  identified: boolean;
  /** Catalogue id when catalogued. */
  provider?: string;
  name: string;
  legalName: string;
  /** ISO 3166-1 alpha-2, or `unknown`. */
  country: string;
  region: Region;
  /** DPF status as the catalogue records it, with its date and source. */
  dpf?: { status: string; asOf: string; source: string };
  euResidency?: string;
  /** For unidentified third parties: the registrable domain seen. */
  registrableDomain?: string;
  roles: ProcessorRole[];
  evidence: ProcessorEvidence[];
  /** Present when the register declares this processor. */
  declared?: DeclaredFacts;
  /** Date the catalogue facts were checked. */
  checked?: string;
}
