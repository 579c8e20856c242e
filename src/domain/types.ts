import type { Dialer } from '../core/dialer.js';
import type { Finding } from '../core/finding.js';
import type { Seams } from '../core/seams.js';
import type { AccessPort } from '../smtp/access/types.js';
import type { ProbePool } from './transport/probe-pool.js';

export interface DomainScanOptions {
  /** Extra DKIM selectors to probe besides the common list. */
  dkimSelectors: string[];
}

/** What the transport checks (SMTP, DANE, MTA-STS policy) need besides DNS. */
export interface TransportSeams {
  dialer: Dialer;
  /** Extra PEM trust anchors (`--ca`), added to the system store. */
  ca?: string[];
  /** Shared by every domain of a run, so MX hosts shared between domains are probed once. */
  probes: ProbePool;
  /** At most this many MX hosts per domain are probed. */
  maxMx: number;
  /** Submission and mailbox ports to probe (`--ports`); empty: none. */
  accessPorts: readonly AccessPort[];
  /** Hosts probed on those ports besides the MX hosts (`--host`). */
  accessHosts: readonly string[];
}

/** What every domain check gets: the (ASCII, lower-case) domain, the seams and the options. */
export interface DomainContext extends Seams {
  domain: string;
  options: DomainScanOptions;
  /** Present when the scan probes servers; record-only scans leave it out. */
  transport?: TransportSeams;
}

/** A domain check never throws for a bad target: failures and errors are findings. */
export type DomainCheck = (ctx: DomainContext) => Promise<Finding[]>;
