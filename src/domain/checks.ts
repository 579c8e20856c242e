import { dkimCheck } from './dkim/check.js';
import { dmarcCheck } from './dmarc/check.js';
import { dnssecCheck } from './dnssec.js';
import { mtaStsRecordCheck } from './mta-sts-record.js';
import { mxCheck } from './mx.js';
import { spfCheck } from './spf/check.js';
import { tlsRptCheck } from './tls-rpt.js';
import { accessCheck, daneCheck, mtaStsPolicyCheck, smtpCheck } from './transport/checks.js';
import type { DomainCheck } from './types.js';

/** A check with the finding-id family it reports under and the control it mainly feeds. */
export interface RegisteredCheck {
  family: string;
  control: string;
  run: DomainCheck;
}

/** The record checks `mailcomply scan` runs for every domain, in report order. */
export const DOMAIN_CHECKS: readonly RegisteredCheck[] = [
  { family: 'mx', control: 'availability.mail-routing', run: mxCheck },
  { family: 'spf', control: 'auth.spf', run: spfCheck },
  { family: 'dmarc', control: 'auth.dmarc', run: dmarcCheck },
  { family: 'dkim', control: 'auth.dkim', run: dkimCheck },
  { family: 'mta-sts', control: 'transport.mta-sts', run: mtaStsRecordCheck },
  { family: 'tls-rpt', control: 'transport.tls-reporting', run: tlsRptCheck },
  { family: 'dnssec', control: 'transport.dnssec', run: dnssecCheck },
];

/** The checks that talk to the servers themselves; they run only when the scan has transport seams. */
export const TRANSPORT_CHECKS: readonly RegisteredCheck[] = [
  { family: 'smtp', control: 'transport.starttls', run: smtpCheck },
  { family: 'mta-sts', control: 'transport.mta-sts', run: mtaStsPolicyCheck },
  { family: 'dane', control: 'transport.dane', run: daneCheck },
  { family: 'submission', control: 'access.admin', run: accessCheck },
];
