import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DSAR_MAX_MESSAGE_BYTES } from '../../core/limits.js';
import type { SourceKind } from '../types.js';
import { readReason, sourceReason } from './fs-util.js';
import type { SourceItem } from './types.js';

/**
 * Reads an mbox (mboxo/mboxrd, optionally gzip) as a stream: memory is one chunk plus the message
 * being collected. Each message's location is its byte range in the (uncompressed) file, From_
 * line included, with the sha256 of exactly those bytes, so an erase can check what it removes.
 * A message starts at a `From ` line that begins the file or follows an empty line and carries
 * a time (so an unquoted "From the start..." body line does not split a message).
 */
export async function* readMbox(path: string, kind: SourceKind): AsyncGenerator<SourceItem> {
  let stream: Readable;
  try {
    stream = await openMaybeGzip(path);
  } catch (err) {
    yield { type: 'problem', item: path, reason: sourceReason(err) };
    return;
  }
  let offset = 0; // file offset of carry[0]
  let carry = Buffer.alloc(0);
  let prevBlank = true;
  let cur: { start: number; parts: Buffer[]; size: number; hash: Hash; oversize: boolean } | undefined;
  let index = 0;
  const finish = (end: number): SourceItem | undefined => {
    if (!cur) return undefined;
    const m = cur;
    cur = undefined;
    index++;
    const sha = m.hash.digest('hex');
    const location = { type: 'mbox' as const, kind, path, start: m.start, end, sha256: sha };
    if (m.oversize)
      return {
        type: 'problem',
        item: `#${index}`,
        reason: `larger than ${DSAR_MAX_MESSAGE_BYTES} bytes, not searched`,
      };
    return { type: 'message', location, raw: unquote(Buffer.concat(m.parts)) };
  };
  const take = (line: Buffer): void => {
    if (!cur) return;
    cur.hash.update(line);
    if (cur.oversize) return;
    cur.size += line.length;
    if (cur.size > DSAR_MAX_MESSAGE_BYTES) {
      cur.oversize = true;
      cur.parts = [];
    } else cur.parts.push(line);
  };
  try {
    for await (const chunk of stream) {
      const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      let i = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, i);
        if (nl < 0) break;
        const line = buf.subarray(i, nl + 1);
        const at = offset + i;
        if (prevBlank && line[0] === 0x46 && isFromLine(line)) {
          const done = finish(at);
          if (done) yield done;
          cur = { start: at, parts: [], size: 0, hash: createHash('sha256'), oversize: false };
          cur.hash.update(line);
        } else take(Buffer.from(line));
        prevBlank = line.length === 1 || (line.length === 2 && line[0] === 0x0d);
        i = nl + 1;
      }
      offset += i;
      carry = Buffer.from(buf.subarray(i));
    }
  } catch (err) {
    yield { type: 'problem', item: path, reason: `read stopped: ${readReason(err)}` };
    return;
  }
  if (carry.length) take(carry);
  const done = finish(offset + carry.length);
  if (done) yield done;
  else if (index === 0 && offset + carry.length > 0)
    yield { type: 'problem', item: path, reason: 'not an mbox (no From_ line starts a message)' };
}

async function openMaybeGzip(path: string): Promise<Readable> {
  const fh = await open(path, 'r');
  let gz = false;
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    gz = bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!gz) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

function isFromLine(line: Buffer): boolean {
  if (line.length < 10 || line.length > 1000) return false;
  return /^From \S+\s+.*\d{1,2}:\d{2}/.test(line.toString('latin1'));
}

/** mboxrd: `>From ` in a body loses one `>` (harmless for mboxo, where it is only one level). */
function unquote(b: Buffer): Buffer {
  if (b.indexOf('>From ') < 0) return b;
  return Buffer.from(b.toString('latin1').replace(/^>(>*From )/gm, '$1'), 'latin1');
}
