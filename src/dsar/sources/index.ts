import { UsageError } from '../../core/errors.js';
import type { SourceKind, SourceSpec, SourceType } from '../types.js';
import { readEmlDir } from './eml-dir.js';
import { imapCredentialsFromEnv, readImap } from './imap.js';
import { readLog } from './log.js';
import { readMaildir } from './maildir.js';
import { readMbox } from './mbox.js';
import type { SourceItem } from './types.js';

import { redactUrl } from './redact.js';

export type { SourceItem } from './types.js';
export { redactUrl } from './redact.js';

/** The kinds a source may be tagged with. */
export const SOURCE_KINDS: readonly SourceKind[] = ['mailbox', 'sent', 'archive', 'quarantine', 'log'];

/**
 * Parses a command-line source: `PATH` or `KIND=PATH` (`--maildir quarantine=/srv/q`). A path
 * that itself contains '=' works when prefixed with a kind.
 */
export function parseSourceFlag(type: SourceType, value: string): SourceSpec {
  const eq = value.indexOf('=');
  let kind: SourceKind = type === 'log' ? 'log' : 'mailbox';
  let target = value;
  if (eq > 0 && (SOURCE_KINDS as readonly string[]).includes(value.slice(0, eq))) {
    kind = value.slice(0, eq) as SourceKind;
    target = value.slice(eq + 1);
  }
  if (!target) throw new UsageError(`--${type} needs a path${type === 'imap' ? ' or URL' : ''}`);
  return type === 'imap' ? { type, kind, url: target } : { type, kind, path: target };
}

/** Items of one source, in a stable order (IMAP credentials from MAILCOMPLY_IMAP_PASSWORD or _TOKEN). */
export function readSource(spec: SourceSpec): AsyncGenerator<SourceItem> {
  const path = spec.path ?? '';
  switch (spec.type) {
    case 'maildir':
      return readMaildir(path, spec.kind);
    case 'mbox':
      return readMbox(path, spec.kind);
    case 'eml-dir':
      return readEmlDir(path, spec.kind);
    case 'log':
      return readLog(path, spec.kind);
    case 'imap':
      return readImap(spec.url ?? '', spec.kind, imapCredentialsFromEnv());
  }
}

/** A short label for a source (no password: URLs are shown without userinfo secrets). */
export function sourceLabel(spec: SourceSpec): string {
  return `${spec.type}:${spec.path ?? redactUrl(spec.url ?? '')}`;
}
