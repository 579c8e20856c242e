import type { StoreType } from './policy.js';

/** One thing a retention run would delete or anonymise. */
export interface PlanItem {
  kind: 'file' | 'queued';
  /** Resolved path (files). */
  path?: string;
  /** Postfix queue and queue id (queued messages). */
  queue?: string;
  id?: string;
  bytes: number;
  /** Content time (ms) the age is measured from: a log's newest line, a message's delivery/Date. */
  time: number;
  /** A log's oldest line. */
  oldest?: number;
  timeSource: 'log' | 'delivery' | 'date' | 'mtime' | 'queue';
  /** Identity at plan time, re-checked before acting. */
  ino?: number;
  size?: number;
  mtimeMs?: number;
}

/** A per-item problem: the item is left alone and the run ends non-zero. */
export interface ItemError {
  path?: string;
  id?: string;
  reason: string;
}

/** What a store would lose. */
export interface StorePlan {
  name: string;
  type: StoreType;
  action: 'delete' | 'anonymize';
  maxAge: string;
  /** Items with a content time before this are due. */
  cutoff: number;
  root?: string;
  examined: number;
  kept: number;
  /** Anonymised already by an earlier run (its sha256 is in the evidence): not done twice. */
  alreadyDone: number;
  items: PlanItem[];
  errors: ItemError[];
}

/** A whole plan, as `retention plan --format json` prints it and `retention apply --plan` reads it. */
export interface RetentionPlan {
  schema: 1;
  kind: 'mailcomply-retention-plan';
  policyHash: string;
  createdAt: string;
  stores: StorePlan[];
}
