import type { MatchLocation, SourceSpec } from '../types.js';

/** What keeps an item from being erased (Art. 17(3): legal claims, legal obligations). */
export interface LegalHold {
  /** Items whose hits involve one of these addresses (any of the subject's, or a counterpart domain). */
  addresses: string[];
  /** Folder names (Maildir/IMAP folder, or mbox file base name) under hold. */
  folders: string[];
  /** Source paths or URLs under hold. */
  sources: string[];
}

/** One planned action. */
export interface EraseItem {
  location: MatchLocation;
  /** delete (Maildir unlink, mbox rewrite, IMAP expunge) or pseudonymise (log lines). */
  action: 'delete' | 'pseudonymise';
}

/** An item kept because of a hold, and which hold. */
export interface HeldItem {
  location: MatchLocation;
  hold: 'address' | 'folder' | 'source';
  /** The folder or source that matched the hold; for addresses, only the word 'address'. */
  rule: string;
}

/** The erasure plan: what will be removed or pseudonymised, and what is held. */
export interface ErasePlan {
  items: EraseItem[];
  held: HeldItem[];
  sources: SourceSpec[];
}

/** Outcome of one item. */
export interface EraseOutcome {
  location: MatchLocation;
  result: 'erased' | 'pseudonymised' | 'changed' | 'missing' | 'failed';
  /** For pseudonymised log lines: sha256 of the line after the rewrite. */
  sha256After?: string;
  /** Why an item was not erased (no personal data). */
  reason?: string;
}

/** Counts of a run, as in the receipt's closing record. */
export interface EraseSummary {
  planned: number;
  erased: number;
  pseudonymised: number;
  held: number;
  changed: number;
  missing: number;
  failed: number;
}
