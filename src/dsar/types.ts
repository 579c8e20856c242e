/**
 * Shared types of the data-subject-request tools (find, export, erase, verify). `MatchLocation`
 * is the contract between the search and the erase: it must name exactly one stored item and
 * carry enough to prove the item is still the one that matched (sha256 of its bytes).
 */

/** What a store holds, as configured: decides retention and how the summary describes it. */
export type SourceKind = 'mailbox' | 'sent' | 'archive' | 'quarantine' | 'log';

/** How a store is read. */
export type SourceType = 'maildir' | 'mbox' | 'eml-dir' | 'imap' | 'log';

/** One configured store. */
export interface SourceSpec {
  /** Reader to use. */
  type: SourceType;
  /** What the store holds (defaults: log for logs, mailbox otherwise). */
  kind: SourceKind;
  /** Filesystem path (maildir, mbox, eml-dir, log). */
  path?: string;
  /** imap(s)://user@host:port/ URL, without the password. */
  url?: string;
}

/** Where a stored item lives; stable across runs as long as the store is not changed. */
export type MatchLocation =
  | {
      type: 'maildir';
      kind: SourceKind;
      /** Maildir root as given. */
      path: string;
      /** Folder name ('' for INBOX, Dovecot '.Sent' style otherwise, without the leading dot). */
      folder: string;
      /** 'cur' or 'new'. */
      sub: 'cur' | 'new';
      /** File name inside cur/ or new/ (flags may change it: match on the part before ':2,'). */
      file: string;
      /** sha256 (hex) of the message bytes. */
      sha256: string;
    }
  | {
      type: 'mbox';
      kind: SourceKind;
      /** The mbox file. */
      path: string;
      /** Byte range [start, end) of the message in the (uncompressed) file, including its From_ line. */
      start: number;
      end: number;
      /** sha256 (hex) of the bytes in [start, end). */
      sha256: string;
    }
  | {
      type: 'eml-dir';
      kind: SourceKind;
      /** The directory as given. */
      path: string;
      /** File path relative to `path` (forward slashes). */
      file: string;
      sha256: string;
    }
  | {
      type: 'imap';
      kind: SourceKind;
      /** imap(s)://user@host:port/ without the password. */
      url: string;
      folder: string;
      uidValidity: number;
      uid: number;
      sha256: string;
    }
  | {
      type: 'log';
      kind: SourceKind;
      /** The log file. */
      path: string;
      /** 1-based line number. */
      line: number;
      /** sha256 (hex) of the line's bytes without its newline. */
      sha256: string;
    };

/** Where inside an item the subject was found. */
export type HitPlace =
  | { where: 'header'; field: string }
  | { where: 'body'; part: string; encoding: string }
  | { where: 'attachment-name'; part: string }
  | { where: 'log'; field: string };

/** One reason an item matched. */
export interface Hit {
  place: HitPlace;
  /** Which of the subject's identifiers matched: 'address' or 'name'. */
  by: 'address' | 'name';
  /** Index into the subject's addresses or names. */
  index: number;
}

/** An item that matched, with every reason. */
export interface Match {
  location: MatchLocation;
  /** Size of the item in bytes. */
  size: number;
  hits: Hit[];
  /** For messages: header facts for the summary (never printed in logs). */
  messageId?: string;
  date?: string;
  subject?: string;
  /** Other parties' domains seen in From/To/Cc (for the recipients list). */
  counterpartDomains?: string[];
}

/** An item that could not be read: reported, the run continues. */
export interface ItemProblem {
  source: SourceSpec;
  /** File, folder or UID that failed; no personal data. */
  item: string;
  reason: string;
}
