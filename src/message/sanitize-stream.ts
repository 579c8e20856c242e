import type { Readable, Writable } from 'node:stream';
import { InputError } from '../core/errors.js';
import { MESSAGE_MAX_HEADER_BYTES } from '../core/limits.js';
import { findHeaderEnd, parseHeaderBlock, serializeHeaders } from './header-fields.js';
import type { HeaderPolicy } from './policy.js';
import { sanitizeHeaders, type HeaderChange, type SanitizeContext } from './sanitize.js';

/** What a streamed sanitisation did. */
export interface SanitizeMessageResult {
  changes: HeaderChange[];
  headerBytesIn: number;
  headerBytesOut: number;
  bodyBytes: number;
}

/**
 * Streams a message from `input` to `output`, editing only the top-level header block. The header
 * block is buffered (at most MESSAGE_MAX_HEADER_BYTES); body chunks are written as they arrive,
 * byte for byte, so memory stays bounded whatever the message size. Only the top block is parsed:
 * MIME part headers are body bytes here, which is why a full MIME splitter is not needed.
 * @throws InputError when the header block exceeds the limit (nothing has been written then).
 */
export async function sanitizeMessage(
  input: Readable,
  output: Writable,
  policy: HeaderPolicy,
  ctx: SanitizeContext = {},
): Promise<SanitizeMessageResult> {
  let head: Buffer[] = [];
  let headLen = 0;
  let searched = 0;
  let result: SanitizeMessageResult | undefined;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Buffer);
    if (result) {
      result.bodyBytes += buf.length;
      await write(output, buf);
      continue;
    }
    head.push(buf);
    headLen += buf.length;
    const joined = head.length === 1 ? buf : Buffer.concat(head, headLen);
    head = [joined];
    // Resume a few bytes back: the blank line may straddle two chunks.
    const end = findHeaderEnd(joined, Math.max(0, searched - 3));
    searched = joined.length;
    if (end < 0) {
      if (headLen > MESSAGE_MAX_HEADER_BYTES)
        throw new InputError(
          `header block larger than ${MESSAGE_MAX_HEADER_BYTES} bytes; message not sanitised`,
        );
      continue;
    }
    result = await emitHead(joined.subarray(0, end), output, policy, ctx);
    const rest = joined.subarray(end);
    result.bodyBytes = rest.length;
    if (rest.length) await write(output, rest);
    head = [];
  }
  // Header-only input (no empty line): everything read is the header block.
  result ??= await emitHead(head.length ? head[0]! : Buffer.alloc(0), output, policy, ctx);
  await new Promise<void>((resolve, reject) => {
    output.once('error', reject);
    output.end(() => resolve());
  });
  return result;
}

async function emitHead(
  block: Buffer,
  output: Writable,
  policy: HeaderPolicy,
  ctx: SanitizeContext,
): Promise<SanitizeMessageResult> {
  const text = block.toString('latin1');
  const parsed = parseHeaderBlock(text);
  const { headers, changes } = sanitizeHeaders(parsed.fields, policy, ctx);
  // Whatever follows the last field (the empty line, or nothing for header-only input) is kept.
  const consumed = serializeHeaders(parsed.fields, parsed.eol);
  const tail = text.startsWith(consumed) ? text.slice(consumed.length) : '';
  const out = changes.length === 0 ? text : serializeHeaders(headers, parsed.eol) + tail;
  const bytes = Buffer.from(out, 'latin1');
  await write(output, bytes);
  return { changes, headerBytesIn: block.length, headerBytesOut: bytes.length, bodyBytes: 0 };
}

function write(output: Writable, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = output.write(buf, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else {
      const onError = (err: Error) => reject(err);
      output.once('error', onError);
      output.once('drain', () => {
        output.off('error', onError);
        resolve();
      });
    }
  });
}
