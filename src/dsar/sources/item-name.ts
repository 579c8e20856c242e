import type { MatchLocation } from '../types.js';

/** A short name of an item inside its source, for problem lists. */
export function itemName(item: { location: MatchLocation }): string {
  const l = item.location;
  switch (l.type) {
    case 'maildir':
      return `${l.folder || 'INBOX'}/${l.sub}/${l.file}`;
    case 'mbox':
      return `bytes ${l.start}-${l.end}`;
    case 'eml-dir':
      return l.file;
    case 'imap':
      return `${l.folder} UID ${l.uid}`;
    case 'log':
      return `line ${l.line}`;
  }
}
