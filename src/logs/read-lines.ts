import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError, MailcomplyError } from '../core/errors.js';

/** Opens a log (path, or `-` for stdin) as a byte stream, gunzipping when it starts with the gzip magic. */
export async function openLog(path: string): Promise<Readable> {
  if (path === '-') return sniffGzip(process.stdin);
  let gz = false;
  try {
    const fh = await open(path, 'r');
    try {
      const b = Buffer.alloc(2);
      const { bytesRead } = await fh.read(b, 0, 2, 0);
      gz = bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new MailcomplyError(
      'E_IO',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!gz) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/** stdin may be gzip too: peek at the first chunk. */
async function sniffGzip(input: Readable): Promise<Readable> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  const { PassThrough } = await import('node:stream');
  const head = first.done ? Buffer.alloc(0) : (first.value as Buffer);
  const pass = new PassThrough();
  void (async () => {
    try {
      pass.write(head);
      for (let r = await it.next(); !r.done; r = await it.next()) {
        if (!pass.write(r.value)) await new Promise((res) => pass.once('drain', res));
      }
      pass.end();
    } catch (e) {
      pass.destroy(e as Error);
    }
  })();
  if (head[0] === 0x1f && head[1] === 0x8b) return pass.pipe(createGunzip());
  return pass;
}

/** Lines of a log, without newlines; a gzip error becomes a clear input error. */
export async function* logLines(path: string): AsyncGenerator<string> {
  const stream = await openLog(path);
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code?.startsWith('Z_') || /unexpected end of file/i.test(e.message)) {
      throw new InputError(`${path === '-' ? 'stdin' : path}: truncated or corrupt gzip data`, {
        cause: err,
      });
    }
    throw new MailcomplyError('E_IO', `cannot read ${path}: ${e.code ?? 'error'}`, { cause: err });
  }
}
