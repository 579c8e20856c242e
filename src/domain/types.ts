import type { Finding } from '../core/finding.js';
import type { Seams } from '../core/seams.js';

export interface DomainScanOptions {
  /** Extra DKIM selectors to probe besides the common list. */
  dkimSelectors: string[];
}

/** What every domain check gets: the (ASCII, lower-case) domain, the seams and the options. */
export interface DomainContext extends Seams {
  domain: string;
  options: DomainScanOptions;
}

/** A domain check never throws for a bad target: failures and errors are findings. */
export type DomainCheck = (ctx: DomainContext) => Promise<Finding[]>;
