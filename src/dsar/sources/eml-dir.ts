import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DSAR_MAX_MESSAGE_BYTES } from '../../core/limits.js';
import type { SourceKind } from '../types.js';
import { readReason, sha256, sourceReason } from './fs-util.js';
import { readMessageFile } from './read-file.js';
import type { SourceItem } from './types.js';

const MAX_DEPTH = 32;

/**
 * Reads a folder tree of single-message files (archives, amavis/rspamd quarantines): every
 * regular file is one message; gzip files (amavis `.gz` quarantine) are unpacked. The sha256 is
 * of the file's bytes as stored.
 */
export async function* readEmlDir(root: string, kind: SourceKind): AsyncGenerator<SourceItem> {
  yield* walk(root, root, kind, 0);
}

async function* walk(root: string, dir: string, kind: SourceKind, depth: number): AsyncGenerator<SourceItem> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (dir === root) yield { type: 'problem', item: root, reason: sourceReason(err) };
    else yield { type: 'problem', item: relative(root, dir), reason: readReason(err) };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    const file = relative(root, path).split(sep).join('/');
    if (e.isDirectory()) {
      if (depth < MAX_DEPTH) yield* walk(root, path, kind, depth + 1);
      continue;
    }
    if (!e.isFile()) continue;
    try {
      const stored = readMessageFile(path);
      if (stored === 'not-a-file') continue;
      if (stored === 'oversize') {
        yield {
          type: 'problem',
          item: file,
          reason: `larger than ${DSAR_MAX_MESSAGE_BYTES} bytes, not searched`,
        };
        continue;
      }
      if (stored.length === 0) {
        yield { type: 'problem', item: file, reason: 'empty file' };
        continue;
      }
      const raw =
        stored[0] === 0x1f && stored[1] === 0x8b
          ? gunzipSync(stored, { maxOutputLength: DSAR_MAX_MESSAGE_BYTES })
          : stored;
      yield {
        type: 'message',
        raw,
        location: { type: 'eml-dir', kind, path: root, file, sha256: sha256(stored) },
      };
    } catch (err) {
      const reason =
        (err as { code?: string }).code?.startsWith('Z_') ||
        (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
          ? 'corrupt or oversized gzip'
          : readReason(err);
      yield { type: 'problem', item: file, reason };
    }
  }
}
