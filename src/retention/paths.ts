import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { MailcomplyError } from '../core/errors.js';

/** A path the engine refuses to touch, with the reason. */
export class PathRefused extends MailcomplyError {
  constructor(message: string) {
    super('E_INPUT', message);
  }
}

/** Whether `child` (already resolved) is `root` itself or lies under it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/**
 * Resolves `path` (symlinks and `..`) and checks that it is a regular file, not a symlink, under the
 * store's resolved `root`. Returns the resolved path; throws PathRefused otherwise. Called at plan time
 * and again right before acting, so a symlink swapped in between is still refused.
 */
export async function confineFile(root: string, path: string): Promise<string> {
  const st = await lstat(path);
  if (st.isSymbolicLink()) throw new PathRefused(`${path} is a symbolic link; refused`);
  if (!st.isFile()) throw new PathRefused(`${path} is not a regular file; refused`);
  const real = await realpath(path);
  if (!isInside(root, real)) throw new PathRefused(`${path} resolves outside the store ${root}; refused`);
  return real;
}

/** Resolves a store root; a root that is itself a symlink is followed once, deliberately declared. */
export async function storeRoot(path: string): Promise<string> {
  return realpath(path);
}
