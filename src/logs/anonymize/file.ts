import { createReadStream, createWriteStream } from 'node:fs';
import { chown, chmod, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { InputError, MailcomplyError } from '../../core/errors.js';
import { LOG_CHUNK_BYTES } from '../../core/limits.js';
import { randomBytes } from 'node:crypto';
import { Anonymizer, anonymizeTransform, type AnonymizerOptions } from './anonymizer.js';
import { deriveKeys } from './keys.js';
import type { AnonymizeCounts } from './mapper.js';
import { DEFAULT_POLICY } from './policy.js';
import { threadedAnonymizeTransform } from './threads.js';

/** What an anonymisation run did: the receipt a retention engine records. */
export interface AnonymizeReceipt {
  counts: AnonymizeCounts;
  bytesIn: number;
  bytesOut: number;
  gzipIn: boolean;
  gzipOut: boolean;
}

/** Where input comes from and output goes; `-` is stdin/stdout. */
export interface AnonymizeIo extends AnonymizerOptions {
  /** Worker threads (1: anonymise on the calling thread). */
  threads?: number;
  /** Compress the output (default: when the output path ends in .gz). */
  gzipOut?: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const GZIP_LEVEL = 6;

/** Reads the first two bytes to tell gzip from plain text (the name may lie: rotated `.1` files). */
async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
  } finally {
    await fh.close();
  }
}

/** Counts bytes flowing through, without copying them. */
function counter(): { stream: Transform; bytes: () => number } {
  let n = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: (e: null, c: Buffer) => void) {
      n += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, bytes: () => n };
}

type Stage = NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream;
const pipeAll = pipeline as unknown as (streams: Stage[]) => Promise<void>;

/** Wraps a stream failure in an error naming the side that failed, never the content. */
function ioError(err: unknown, what: string): MailcomplyError {
  if (err instanceof MailcomplyError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end of file/i.test(e.message)) {
    return new InputError(`${what}: truncated or corrupt gzip data`, { cause: err });
  }
  return new MailcomplyError('E_IO', `${what}: ${e.code ?? e.message}`, { cause: err });
}

/**
 * Anonymises `input` into `output` (paths, or `-` for stdin/stdout). Gzip input is recognised by its
 * magic bytes; gzip output is chosen by `gzipOut` or a `.gz` output name.
 */
export async function anonymizeFile(
  input: string,
  output: string,
  io: AnonymizeIo = {},
): Promise<AnonymizeReceipt> {
  let source: Readable;
  let gzipIn = false;
  if (input === '-') {
    source = process.stdin;
  } else {
    try {
      gzipIn = await isGzipFile(input);
    } catch (err) {
      throw ioError(err, `cannot read ${input}`);
    }
    source = createReadStream(input, { highWaterMark: LOG_CHUNK_BYTES });
  }
  const gzipOut = io.gzipOut ?? (output !== '-' && output.endsWith('.gz'));
  if (output === '-') return run(source, process.stdout, gzipIn, gzipOut, io, label(input));
  // A failed run (corrupt input, full disk) leaves no half-written output: write beside it, then rename.
  const tmp = tempPath(output);
  try {
    const receipt = await run(
      source,
      createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true }),
      gzipIn,
      gzipOut,
      io,
      label(input),
    );
    const st = await stat(output).catch(() => undefined);
    await chmod(tmp, st ? st.mode & 0o7777 : 0o640);
    await rename(tmp, output);
    return receipt;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw ioError(err, `cannot write ${output}`);
  }
}

function label(path: string): string {
  return path === '-' ? 'stdin' : path;
}

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.mailcomply-${process.pid}-${Date.now()}.tmp`);
}

async function run(
  source: Readable,
  sink: Writable,
  gzipIn: boolean,
  gzipOut: boolean,
  opts: AnonymizeIo,
  label: string,
): Promise<AnonymizeReceipt> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const keys = opts.keys ?? deriveKeys(randomBytes(32));
  let transform: Transform;
  let counts: () => AnonymizeCounts;
  const threaded = (opts.threads ?? 1) > 1;
  if (threaded) {
    const t = threadedAnonymizeTransform(opts.threads!, policy, keys, gzipOut ? GZIP_LEVEL : undefined);
    transform = t.stream;
    counts = t.counts;
  } else {
    const anonymizer = new Anonymizer({ policy, keys });
    transform = anonymizeTransform(anonymizer);
    counts = () => anonymizer.counts;
  }
  const inCount = counter();
  const outCount = counter();
  const stages: Stage[] = [source];
  if (gzipIn) stages.push(createGunzip({ chunkSize: 256 * 1024 }));
  stages.push(inCount.stream, transform, outCount.stream);
  // Threaded runs compress in the workers, one gzip member per block.
  if (gzipOut && !threaded) stages.push(createGzip({ level: GZIP_LEVEL }));
  stages.push(sink);
  try {
    await pipeAll(stages);
  } catch (err) {
    throw ioError(err, label);
  }
  return {
    counts: counts(),
    bytesIn: inCount.bytes(),
    bytesOut: outCount.bytes(),
    gzipIn,
    gzipOut,
  };
}

/**
 * Rewrites a file in place, crash-safely: anonymise into a temporary file beside it, fsync, give it the
 * original's owner and mode, rename over the original, fsync the folder. A crash or a full disk leaves
 * the old file or the new one, never a mix. A gzip file stays gzip. This is the call a retention
 * engine makes for its `anonymize` action.
 */
export async function anonymizeInPlace(path: string, opts: AnonymizeIo = {}): Promise<AnonymizeReceipt> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw ioError(err, `cannot read ${path}`);
  }
  if (!st.isFile()) throw new InputError(`${path} is not a regular file`);
  const tmp = tempPath(path);
  const gzipIn = await isGzipFile(path).catch((err: unknown) => {
    throw ioError(err, `cannot read ${path}`);
  });
  let receipt: AnonymizeReceipt;
  try {
    // flush: the data is fsynced before close, so the rename below never exposes an empty file.
    const sink = createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true });
    receipt = await run(
      createReadStream(path, { highWaterMark: LOG_CHUNK_BYTES }),
      sink,
      gzipIn,
      gzipIn,
      opts,
      path,
    );
    // Rotated or appended to while we read: renaming now would drop the new lines. Leave it as it is.
    const now = await stat(path);
    if (now.ino !== st.ino || now.size !== st.size || now.mtimeMs !== st.mtimeMs) {
      throw new InputError(
        `${path} changed while it was being anonymised (rotated or written to); left as it was`,
      );
    }
    // Owner first: chown may clear set-id bits that chmod then restores.
    if (process.getuid?.() === 0) await chown(tmp, st.uid, st.gid);
    await chmod(tmp, st.mode & 0o7777);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw ioError(err, `cannot rewrite ${path}`);
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return receipt;
}
