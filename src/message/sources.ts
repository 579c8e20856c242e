import { closeSync, openSync, readSync } from 'node:fs';
import { MESSAGE_MAX_HEADER_BYTES } from '../core/limits.js';
import { findHeaderEnd } from './header-fields.js';
import { errorCode, walkMessageFiles } from './message-files.js';

/** The header block of one message found under the given paths, or why it could not be read. */
export interface MessageHeaderSource {
  /** File path, with `#N` (1-based) for the Nth message of an mbox. */
  source: string;
  /** The header block as latin1 text (bytes preserved), when read. */
  header?: string;
  /** Bytes of the message looked at (header block, or the whole message for mbox). */
  bytes: number;
  /** Why this message could not be analysed; no content, only the reason. */
  error?: string;
}

const CHUNK = 64 * 1024;
/** One read buffer reused for every file: the walk is synchronous, and blocks are copied out of it. */
const SHARED = Buffer.allocUnsafe(CHUNK);

/**
 * Walks files and folders (see ./message-files.ts): a file starting with `From ` is an mbox, any
 * other file one message (.eml). Only header blocks are read, so bodies cost nothing.
 */
export function* walkMessages(paths: readonly string[]): Generator<MessageHeaderSource> {
  yield* walkMessageFiles(paths, {
    readFile: readFileMessages,
    unreadable: (source, error) => ({ source, bytes: 0, error }),
  });
}

function* readFileMessages(path: string): Generator<MessageHeaderSource> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    yield { source: path, bytes: 0, error: `cannot read: ${errorCode(err)}` };
    return;
  }
  try {
    const first = SHARED;
    const n = readSync(fd, first, 0, CHUNK, 0);
    if (n === 0) {
      yield { source: path, bytes: 0, error: 'empty file' };
      return;
    }
    if (first.subarray(0, 5).toString('latin1') === 'From ') {
      yield* readMbox(path, fd, first.subarray(0, n));
      return;
    }
    yield readEml(path, fd, first.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

function readEml(path: string, fd: number, first: Buffer): MessageHeaderSource {
  let buf = first;
  let end = findHeaderEnd(buf);
  while (end < 0 && buf.length <= MESSAGE_MAX_HEADER_BYTES) {
    const more = Buffer.allocUnsafe(CHUNK * 4);
    const n = readSync(fd, more, 0, more.length, buf.length);
    if (n === 0) break; // header-only or truncated message: the whole file is the header block
    const from = Math.max(0, buf.length - 3);
    buf = Buffer.concat([buf, more.subarray(0, n)]);
    end = findHeaderEnd(buf, from);
  }
  if (end < 0 && buf.length > MESSAGE_MAX_HEADER_BYTES)
    return {
      source: path,
      bytes: buf.length,
      error: `header block larger than ${MESSAGE_MAX_HEADER_BYTES} bytes`,
    };
  const block = end < 0 ? buf : buf.subarray(0, end);
  return { source: path, bytes: block.length, header: block.toString('latin1') };
}

/** mbox (mboxo/mboxrd): a line starting `From ` begins a message; its header block follows. */
function* readMbox(path: string, fd: number, first: Buffer): Generator<MessageHeaderSource> {
  let pos = first.length;
  let carry: Buffer = first;
  let index = 0;
  let header: Buffer[] | undefined;
  let headerLen = 0;
  let bytes = 0;
  let oversize = false;
  let prevBlank = true;
  const finish = (): MessageHeaderSource | undefined => {
    if (index === 0 || !header) return undefined;
    const source = `${path}#${index}`;
    if (oversize)
      return { source, bytes, error: `header block larger than ${MESSAGE_MAX_HEADER_BYTES} bytes` };
    return { source, bytes, header: Buffer.concat(header ?? []).toString('latin1') };
  };
  const chunk = Buffer.allocUnsafe(CHUNK * 16);
  for (;;) {
    let start = 0;
    for (;;) {
      const nl = carry.indexOf(0x0a, start);
      if (nl < 0) break;
      const line = carry.subarray(start, nl + 1);
      start = nl + 1;
      const blankBefore = prevBlank;
      prevBlank = line.length === 1 || (line.length === 2 && line[0] === 0x0d);
      if (line[0] === 0x46 && (blankBefore || index === 0) && isFromLine(line)) {
        const done = finish();
        if (done) yield done;
        index++;
        header = [];
        headerLen = 0;
        bytes = line.length;
        oversize = false;
        continue;
      }
      bytes += line.length;
      if (!header) continue;
      if (line.length === 1 || (line.length === 2 && line[0] === 0x0d)) {
        if (headerLen > 0 || header.length > 0) header.push(line);
        const done = finish();
        if (done) yield done;
        header = undefined; // body: skipped until the next From line
        continue;
      }
      headerLen += line.length;
      if (headerLen > MESSAGE_MAX_HEADER_BYTES) oversize = true;
      else header.push(line);
    }
    let rest = carry.subarray(start);
    if (rest.length > MESSAGE_MAX_HEADER_BYTES) {
      // One line longer than any header block may be: drop it rather than buffer it.
      if (header) oversize = true;
      rest = Buffer.alloc(0);
    }
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    pos += n;
    if (n === 0) {
      if (header) {
        if (rest.length) header.push(rest);
        const done = finish();
        if (done) yield done;
      }
      return;
    }
    carry = rest.length ? Buffer.concat([rest, chunk.subarray(0, n)]) : Buffer.from(chunk.subarray(0, n));
  }
}

/**
 * An mbox separator: `From <sender> <asctime date>`. Requiring the date (a hh:mm time) keeps an
 * unquoted body line such as "From the start..." (mboxo) from splitting a message.
 */
function isFromLine(line: Buffer): boolean {
  if (line.length < 10 || line.length > 1000) return false;
  return /^From \S+\s+.*\d{1,2}:\d{2}/.test(line.toString('latin1'));
}
