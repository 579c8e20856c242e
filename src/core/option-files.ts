import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './errors.js';

const reason = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'cannot read';

/**
 * Reads a text file named by a command-line option (or the config); one that cannot be read is a
 * usage error naming the option and the file as `shown`, with the errno code only.
 */
export function readOptionText(option: string, path: string, shown = path): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${option} ${shown}: ${reason(err)}`);
  }
}

/** Reads a secret key file, which must not be readable by group or others. */
export function readSecretFile(option: string, path: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
    if ((statSync(path).mode & 0o077) !== 0 && process.platform !== 'win32')
      throw new UsageError(`${option} ${path}: readable by group or others; chmod 600 it`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${option} ${path}: ${reason(err)}`);
  }
  return data;
}
