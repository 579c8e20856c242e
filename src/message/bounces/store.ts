import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { BOUNCE_MAX_MESSAGE_BYTES } from '../../core/limits.js';
import { errorCode, walkMessageFiles } from '../message-files.js';

/**
 * One whole message found under the given paths, or why it could not be read. The header-only
 * walker in ../sources.ts skips bodies; bounce analysis needs them (returned originals, DSN parts).
 */
export interface StoredMessage {
  /** File path, with `#N` (1-based) for the Nth message of an mbox. */
  source: string;
  raw?: Buffer;
  error?: string;
}

/**
 * Walks files and folders like `headers analyze` (see ../message-files.ts): a file starting with
 * `From ` is an mbox, any other file one message.
 */
export function* readMessages(paths: readonly string[]): Generator<StoredMessage> {
  yield* walkMessageFiles(paths, { readFile, unreadable: (source, error) => ({ source, error }) });
}

function* readFile(path: string, size: number): Generator<StoredMessage> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    yield { source: path, error: `cannot read: ${errorCode(err)}` };
    return;
  }
  try {
    const head = Buffer.alloc(5);
    const n = readSync(fd, head, 0, 5, 0);
    if (n === 0) {
      yield { source: path, error: 'empty file' };
    } else if (startsWithFrom(head, 0)) {
      yield* streamMbox(path, fd);
    } else if (size > BOUNCE_MAX_MESSAGE_BYTES) {
      yield { source: path, error: `message larger than ${BOUNCE_MAX_MESSAGE_BYTES} bytes` };
    } else {
      yield { source: path, raw: readFileSync(fd) };
    }
  } catch (err) {
    yield { source: path, error: `cannot read: ${errorCode(err)}` };
  } finally {
    closeSync(fd);
  }
}

/** Bytes read from an mbox at a time: memory stays at one chunk plus the message being collected. */
const MBOX_CHUNK = 1024 * 1024;

/**
 * Splits an mbox on `From ` lines that follow a blank line (or start the file), reading it in
 * chunks, and undoes mboxrd quoting (`>From ` loses one `>`).
 */
function* streamMbox(path: string, fd: number): Generator<StoredMessage> {
  const chunk = Buffer.allocUnsafe(MBOX_CHUNK);
  let carry: Buffer = Buffer.alloc(0);
  let parts: Buffer[] = [];
  let size = 0;
  let oversize = false;
  let index = 0;
  let prevBlank = true;
  let pos = 0;
  const add = (b: Buffer): void => {
    if (index === 0 || oversize || b.length === 0) return;
    if (size + b.length > BOUNCE_MAX_MESSAGE_BYTES) {
      oversize = true;
      parts = [];
      return;
    }
    parts.push(Buffer.from(b));
    size += b.length;
  };
  const finish = (): StoredMessage | undefined => {
    if (index === 0) return undefined;
    const source = `${path}#${index}`;
    if (oversize) return { source, error: `message larger than ${BOUNCE_MAX_MESSAGE_BYTES} bytes` };
    if (size === 0) return { source, error: 'empty mbox entry' };
    const text = Buffer.concat(parts)
      .toString('latin1')
      .replace(/^>(>*From )/gm, '$1');
    return { source, raw: Buffer.from(text, 'latin1') };
  };
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    pos += n;
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let segStart = 0;
    let i = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, i);
      if (nl === -1) break;
      if (prevBlank && startsWithFrom(buf, i)) {
        add(buf.subarray(segStart, i));
        const done = finish();
        if (done) yield done;
        index++;
        parts = [];
        size = 0;
        oversize = false;
        segStart = nl + 1;
      }
      prevBlank = nl === i || (nl === i + 1 && buf[i] === 0x0d);
      i = nl + 1;
    }
    if (n === 0) {
      add(buf.subarray(segStart));
      const done = finish();
      if (done) yield done;
      return;
    }
    add(buf.subarray(segStart, i));
    carry = Buffer.from(buf.subarray(i));
    if (carry.length > MBOX_CHUNK * 4) {
      // One very long line: keep it as message text instead of buffering it whole.
      add(carry);
      carry = Buffer.alloc(0);
      prevBlank = false;
    }
  }
}

function startsWithFrom(buf: Buffer, i: number): boolean {
  return buf[i] === 0x46 && buf.toString('latin1', i, i + 5) === 'From ';
}
