import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultHeaderPolicy } from './policy.js';
import { sanitizeMessage } from './sanitize-stream.js';

const HEAD =
  'Received: from laptop (unknown [10.1.2.3])\r\n\tby mail.example.com (Postfix) with ESMTP id A2;\r\n\tTue, 6 Jan 2026 10:00:01 +0000\r\nUser-Agent: Thunderbird/115\r\nSubject: hi\r\n\r\n';
const EXPECTED_HEAD =
  'Received: from redacted.invalid\r\n\tby mail.example.com (Postfix) with ESMTP id A2;\r\n\tTue, 6 Jan 2026 10:00:01 +0000\r\nSubject: hi\r\n\r\n';

async function run(chunks: Buffer[]): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  await sanitizeMessage(Readable.from(chunks), out, defaultHeaderPolicy());
  return Buffer.concat(parts);
}

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    if (p > prev) out.push(buf.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  return out;
}

describe('sanitizeMessage', () => {
  it('edits headers and passes body bytes unchanged, however the input is chunked (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (body, cuts) => {
          const msg = Buffer.concat([Buffer.from(HEAD, 'latin1'), Buffer.from(body)]);
          const out = await run(split(msg, cuts));
          expect(out.subarray(0, EXPECTED_HEAD.length).toString('latin1')).toBe(EXPECTED_HEAD);
          expect(out.subarray(EXPECTED_HEAD.length).equals(Buffer.from(body))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('copies a message with nothing to change byte for byte, 8-bit headers included', async () => {
    const msg = Buffer.concat([
      Buffer.from('Subject: caf'),
      Buffer.from([0xc3, 0xa9, 0xff, 0x00]),
      Buffer.from('\n\nbody'),
    ]);
    expect((await run([msg])).equals(msg)).toBe(true);
  });

  it('handles header-only and empty input', async () => {
    expect((await run([Buffer.from('User-Agent: x\r\nSubject: y')])).toString()).toBe('Subject: y\r\n');
    expect((await run([])).length).toBe(0);
  });

  it('refuses a header block over the limit before writing anything', async () => {
    const out = new PassThrough();
    let written = 0;
    out.on('data', (c: Buffer) => (written += c.length));
    const huge = Readable.from(
      (function* () {
        yield Buffer.from('X-Big: ');
        for (let i = 0; i < 80; i++) yield Buffer.alloc(64 * 1024, 0x61);
      })(),
    );
    await expect(sanitizeMessage(huge, out, defaultHeaderPolicy())).rejects.toThrow(
      /header block larger than/,
    );
    expect(written).toBe(0);
  });

  it('streams a 50 MB message in bounded memory and keeps its body hash', async () => {
    const chunk = Buffer.alloc(256 * 1024, 'QUJDREVGR0g=\r\n');
    const total = 200; // 50 MiB of body
    const inHash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        yield Buffer.from(HEAD, 'latin1');
        for (let i = 0; i < total; i++) {
          inHash.update(chunk);
          yield chunk;
        }
      })(),
    );
    const outHash = createHash('sha256');
    let head = '';
    let seen = 0;
    let peak = 0;
    const base = process.memoryUsage().rss;
    const sink = new Writable({
      write(c: Buffer, _enc, cb) {
        if (seen < EXPECTED_HEAD.length) {
          const take = Math.min(c.length, EXPECTED_HEAD.length - seen);
          head += c.subarray(0, take).toString('latin1');
          outHash.update(c.subarray(take));
        } else outHash.update(c);
        seen += c.length;
        peak = Math.max(peak, process.memoryUsage().rss - base);
        setImmediate(cb); // a slow consumer: back-pressure must hold the producer
      },
    });
    const r = await sanitizeMessage(source, sink, defaultHeaderPolicy());
    expect(head).toBe(EXPECTED_HEAD);
    expect(r.bodyBytes).toBe(chunk.length * total);
    expect(outHash.digest('hex')).toBe(inHash.digest('hex'));
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });
});
