import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which files under the given paths hold mail, shared by the header-only walk (./sources.ts) and
 * the whole-message walk of bounce analysis (./bounces/store.ts) so both read the same messages
 * from the same tree. How a file is read (header block or whole message) is the caller's.
 */
export interface MessageFileReader<T> {
  /** The messages of one file, `size` as stat saw it. */
  readFile(path: string, size: number): Iterable<T>;
  /** What to yield for a path that could not be stat'ed or listed; `error` names only the reason. */
  unreadable(path: string, error: string): T;
}

/** Folder depth walked; deeper means a link loop or the wrong path. */
const MAX_DEPTH = 32;

/**
 * Walks files and folders: any file is handed to the reader (mbox or single message); a folder
 * with cur/ or new/ is a Maildir (cur, new and its `.Sub` folders; tmp is skipped); other
 * folders are walked, their dot files skipped. Entries go in name order so runs are repeatable.
 */
export function* walkMessageFiles<T>(paths: readonly string[], reader: MessageFileReader<T>): Generator<T> {
  for (const p of paths) yield* walkPath(p, 0, reader);
}

function* walkPath<T>(path: string, depth: number, reader: MessageFileReader<T>): Generator<T> {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    yield reader.unreadable(path, `cannot read: ${errorCode(err)}`);
    return;
  }
  if (st.isFile()) {
    yield* reader.readFile(path, st.size);
    return;
  }
  if (!st.isDirectory() || depth > MAX_DEPTH) return;
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch (err) {
    yield reader.unreadable(path, `cannot list: ${errorCode(err)}`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const maildir = entries.some((e) => e.isDirectory() && (e.name === 'cur' || e.name === 'new'));
  for (const e of entries) {
    const child = join(path, e.name);
    if (maildir) {
      // Maildir: messages live in cur/ and new/; tmp/ holds half-delivered ones; index files are not mail.
      if (e.isDirectory() && (e.name === 'cur' || e.name === 'new' || e.name.startsWith('.')))
        yield* walkPath(child, depth + 1, reader);
      continue;
    }
    if (e.name.startsWith('.') && e.isFile()) continue;
    if (e.isDirectory() || e.isFile()) yield* walkPath(child, depth + 1, reader);
  }
}

/** The errno code of a failed file operation: a reason that carries no path or content. */
export function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}
