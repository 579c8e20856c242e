import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DSAR_MAX_MESSAGE_BYTES } from '../../core/limits.js';

/**
 * Reads one message file synchronously: on a warm cache an async read costs four thread-pool
 * round trips (open, fstat, read, close) that cost more than searching the message. Returns
 * 'oversize' for a file over the limit (checked on the open descriptor, so no race with a
 * replaced file); throws the fs error otherwise.
 */
export function readMessageFile(path: string): Buffer | 'oversize' | 'not-a-file' {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return 'not-a-file';
    if (st.size > DSAR_MAX_MESSAGE_BYTES) return 'oversize';
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break; // truncated while reading: keep what is there
      off += n;
    }
    return off === st.size ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
