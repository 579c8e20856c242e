import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MailcomplyError, UsageError } from '../core/errors.js';

/** Keys shorter than this are refused: an HMAC key should carry at least 128 bits. */
export const MIN_KEY_BYTES = 16;

/**
 * Reads a pseudonymisation key from a file (raw bytes; a trailing newline is dropped so
 * `openssl rand -hex 32 > key` works). Keys never come from code or the command line.
 * @throws UsageError when the file is too short; MailcomplyError E_IO when unreadable.
 */
export function readKeyFile(path: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (err) {
    throw new MailcomplyError(
      'E_IO',
      `cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  }
  let end = key.length;
  while (end > 0 && (key[end - 1] === 0x0a || key[end - 1] === 0x0d)) end--;
  key = key.subarray(0, end);
  if (key.length < MIN_KEY_BYTES)
    throw new UsageError(`key file ${path}: at least ${MIN_KEY_BYTES} bytes needed`);
  return key;
}

/** A stable keyed pseudonym for a token: the same input and key always give the same output. */
export function pseudonym(key: Buffer, token: string): string {
  const h = createHmac('sha256', key).update(token.trim().toLowerCase()).digest('hex');
  return `anon-${h.slice(0, 16)}`;
}
