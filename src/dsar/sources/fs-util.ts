import { hash } from 'node:crypto';

/** sha256 (hex) of bytes (one-shot: no Hash object per message). */
export function sha256(data: Buffer | string): string {
  return hash('sha256', data, 'hex');
}

/** The errno code of a filesystem error, never its message (which holds the path). */
export function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

/** Why a file could not be read, in words a reader understands. */
export function readReason(err: unknown): string {
  const c = errCode(err);
  if (c === 'ENOENT') return 'vanished during the scan';
  if (c === 'EACCES' || c === 'EPERM') return 'permission denied';
  return `cannot read: ${c}`;
}

/** Why a configured source (folder or file) could not be opened. */
export function sourceReason(err: unknown): string {
  return errCode(err) === 'ENOENT' ? 'not found' : readReason(err);
}
