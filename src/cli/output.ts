import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { MailcomplyError } from '../core/errors.js';

/**
 * Writes a report atomically (temp file in the same folder, fsync, rename) so a crash or a full
 * disk never leaves half a report where a previous good one was.
 */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may never have been created
    }
    throw new MailcomplyError(
      'E_IO',
      `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  }
}

/** Writes to `--out` when given, else to stdout. */
export function emit(data: string, out: string | undefined): void {
  if (out) writeFileAtomic(out, data);
  else process.stdout.write(data);
}

/** Colours only for a TTY and when NO_COLOR is unset (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
}
