import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DSAR_MAX_MESSAGE_BYTES } from '../../core/limits.js';

/** A buffer reused from one read to the next; it grows to the largest message read. */
export interface ReadScratch {
  buf: Buffer;
}

/**
 * Reads one message file synchronously: on a warm cache an async read costs four thread-pool
 * round trips (open, fstat, read, close) that cost more than searching the message. Returns
 * 'oversize' for a file over the limit (checked on the open descriptor, so no race with a
 * replaced file); throws the fs error otherwise.
 *
 * With `scratch`, the bytes land in that shared buffer and the result is a view of it, valid
 * until the next read: a search that rules most messages out from their bytes then allocates
 * (and collects) nothing for them, which was a tenth of its time (bench:dsar).
 */
export function readMessageFile(path: string, scratch?: ReadScratch): Buffer | 'oversize' | 'not-a-file' {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return 'not-a-file';
    if (st.size > DSAR_MAX_MESSAGE_BYTES) return 'oversize';
    if (scratch && scratch.buf.length < st.size)
      scratch.buf = Buffer.allocUnsafe(
        Math.min(DSAR_MAX_MESSAGE_BYTES, Math.max(st.size, 2 * scratch.buf.length)),
      );
    const buf = scratch ? scratch.buf : Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break; // truncated while reading: keep what is there
      off += n;
    }
    return off === st.size && !scratch ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
