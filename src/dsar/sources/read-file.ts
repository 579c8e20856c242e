import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { DSAR_MAX_MESSAGE_BYTES } from '../../core/limits.js';

/** A buffer reused from one read to the next; it grows to the largest message read. */
export interface ReadScratch {
  buf: Buffer;
  /** Makes `buf` at least `size` bytes long, when the buffer is owned elsewhere (fold-search.ts). */
  resize?: (size: number) => void;
}

// O_NONBLOCK: a FIFO put in a mail folder must not block the scan on open (regular files ignore it).
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * Reads one message file synchronously: on a warm cache an async read costs four thread-pool
 * round trips (open, fstat, read, close) that cost more than searching the message. Returns
 * 'oversize' for a file over the limit (checked on the open descriptor, so no race with a
 * replaced file); throws the fs error otherwise.
 *
 * With `scratch`, the bytes land in that shared buffer and the result is a view of it, valid
 * until the next read: a search that rules most messages out from their bytes then allocates
 * (and collects) nothing for them, which was a tenth of its time (bench:dsar).
 *
 * `expectedSize` is the size the file's name gives (Maildir `,S=`): a read that asks for one byte
 * more and gets exactly that many has reached the end of a file of that size, so the fstat is
 * saved (a sixth of the read cost, bench:dsar). Anything else (another size, a read error such as
 * EISDIR, no hint) takes the path that asks the descriptor what it is.
 */
export function readMessageFile(
  path: string,
  scratch?: ReadScratch,
  expectedSize?: number,
): Buffer | 'oversize' | 'not-a-file' {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    // Only a size the buffer already holds: a name cannot make the buffer grow (the file can).
    if (scratch && expectedSize !== undefined && expectedSize < scratch.buf.length) {
      const got = readAsNamed(fd, scratch, expectedSize);
      if (got) return got;
    }
    return readChecked(fd, scratch);
  } finally {
    closeSync(fd);
  }
}

function readAsNamed(fd: number, scratch: ReadScratch, size: number): Buffer | undefined {
  let n: number;
  try {
    n = readSync(fd, scratch.buf, 0, size + 1, 0);
  } catch {
    return undefined;
  }
  return n === size ? scratch.buf.subarray(0, n) : undefined;
}

function readChecked(fd: number, scratch: ReadScratch | undefined): Buffer | 'oversize' | 'not-a-file' {
  const st = fstatSync(fd);
  if (!st.isFile()) return 'not-a-file';
  if (st.size > DSAR_MAX_MESSAGE_BYTES) return 'oversize';
  if (scratch) grow(scratch, st.size);
  const buf = scratch ? scratch.buf : Buffer.allocUnsafe(st.size);
  let off = 0;
  while (off < st.size) {
    const n = readSync(fd, buf, off, st.size - off, off);
    if (n === 0) break; // truncated while reading: keep what is there
    off += n;
  }
  return off === st.size && !scratch ? buf : buf.subarray(0, off);
}

function grow(scratch: ReadScratch, size: number): void {
  if (scratch.buf.length >= size) return;
  if (scratch.resize) scratch.resize(size);
  else
    scratch.buf = Buffer.allocUnsafe(
      Math.min(DSAR_MAX_MESSAGE_BYTES + 1, Math.max(size, 2 * scratch.buf.length)),
    );
}
