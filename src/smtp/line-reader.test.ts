import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SMTP_MAX_REPLY_LINES } from '../core/limits.js';
import { LineReader, ReadError, printable } from './line-reader.js';
import { PhaseError, SmtpSession, Transcript } from './session.js';

/** A duplex whose reads we feed by hand and whose writes go nowhere. */
function fakeSocket(): Duplex {
  return new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

/** Splits `data` at the given cut points (any order, any count). */
function chunked(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    if (p > prev) out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

const LIMITS = { maxLine: 64, maxBuffered: 1024 };
const lineText = fc
  .string({ maxLength: 64 })
  .filter((s) => !/[\r\n]/.test(s) && Buffer.byteLength(s, 'latin1') <= 64);

describe('LineReader', () => {
  it('returns the lines sent, however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineText, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        async (lines, cuts, crlf) => {
          const s = fakeSocket();
          const reader = new LineReader(s, LIMITS);
          const data = Buffer.from(lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join(''), 'latin1');
          for (const c of chunked(data, cuts)) s.push(c);
          const got: string[] = [];
          for (let i = 0; i < lines.length; i++) got.push(await reader.readLine(1_000));
          expect(got).toEqual(lines);
          reader.detach();
        },
      ),
    );
  });

  it('fails a line over the limit without waiting for its end, however it is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 66, max: 5_000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (n, cuts) => {
          const s = fakeSocket();
          const reader = new LineReader(s, LIMITS);
          for (const c of chunked(Buffer.alloc(n, 0x41), cuts)) s.push(c);
          await expect(reader.readLine(1_000)).rejects.toMatchObject({ reason: 'too-long' });
          expect(reader.pendingBytes()).toBe(0);
          reader.detach();
        },
      ),
    );
  });

  it('accepts a line of exactly the limit', async () => {
    const s = fakeSocket();
    const reader = new LineReader(s, LIMITS);
    s.push(Buffer.from(`${'x'.repeat(64)}\r\n`));
    expect(await reader.readLine(1_000)).toHaveLength(64);
  });

  it('fails when unread lines exceed the buffer limit', async () => {
    const s = fakeSocket();
    const reader = new LineReader(s, LIMITS);
    s.push(Buffer.from('ok\r\n'.repeat(400)));
    await new Promise((r) => setImmediate(r));
    // Lines that arrived before the flood are still served, then the failure.
    const err = await (async () => {
      for (;;) await reader.readLine(1_000);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadError);
    expect((err as ReadError).reason).toBe('flood');
  });

  it('times out, reports a close, and honours an abort', async () => {
    const s = fakeSocket();
    const reader = new LineReader(s, LIMITS);
    await expect(reader.readLine(20)).rejects.toMatchObject({ reason: 'timeout' });
    const ac = new AbortController();
    const pending = reader.readLine(5_000, ac.signal);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ reason: 'aborted' });
    s.push('last\r\n');
    s.push(null);
    expect(await reader.readLine(1_000)).toBe('last');
    await expect(reader.readLine(1_000)).rejects.toMatchObject({ reason: 'closed' });
  });

  it('detaches, handing back what was not read', async () => {
    const s = fakeSocket();
    const reader = new LineReader(s, LIMITS);
    s.push('220 go ahead\r\n\x16\x03\x01');
    expect(await reader.readLine(1_000)).toBe('220 go ahead');
    expect(reader.detach()).toEqual(Buffer.from([0x16, 0x03, 0x01]));
    expect(s.listenerCount('data')).toBe(0);
  });
});

describe('printable', () => {
  it('never lets control characters through', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const out = printable(Buffer.from(bytes).toString('latin1'));
        // eslint-disable-next-line no-control-regex
        expect(out).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
      }),
    );
  });

  it('decodes UTF-8 and shows escapes', () => {
    expect(printable(Buffer.from('Grüße \x1b[31m', 'utf8').toString('latin1'))).toBe('Grüße \\x1b[31m');
  });
});

function session(): { s: Duplex; session: SmtpSession } {
  const s = fakeSocket();
  return {
    s,
    session: new SmtpSession(s as unknown as Socket, new Transcript(performance.now()), undefined),
  };
}

describe('SmtpSession.reply', () => {
  const text = fc.string({ maxLength: 40 }).filter((t) => !/[\r\n]/.test(t) && /^[\x20-\x7e]*$/.test(t));

  it('parses any well-formed multi-line reply, however chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 599 }),
        fc.array(text, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (code, texts, cuts) => {
          const { s, session: sess } = session();
          const wire = texts.map((t, i) => `${code}${i === texts.length - 1 ? ' ' : '-'}${t}\r\n`).join('');
          for (const c of chunked(Buffer.from(wire), cuts)) s.push(c);
          expect(await sess.reply('ehlo', 1_000)).toEqual({ code, lines: texts });
          sess.detach();
        },
      ),
    );
  });

  it('accepts a bare code as a reply', async () => {
    const { s, session: sess } = session();
    s.push('250\r\n');
    expect(await sess.reply('ehlo', 1_000)).toEqual({ code: 250, lines: [''] });
  });

  it('rejects anything that is not a reply line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ minLength: 1, maxLength: 30 })
          .filter((t) => !/^[2-5]\d\d(?:[ -]|$)/.test(t) && !/[\r\n]/.test(t)),
        async (garbage) => {
          const { s, session: sess } = session();
          s.push(`${garbage}\r\n`);
          const err = await sess.reply('banner', 1_000).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(PhaseError);
          expect((err as PhaseError).reason).toContain('not an SMTP reply');
          sess.detach();
        },
      ),
    );
  });

  it('ends a reply with too many lines', async () => {
    const { s, session: sess } = session();
    s.push('250-x\r\n'.repeat(SMTP_MAX_REPLY_LINES + 1));
    await expect(sess.reply('ehlo', 1_000)).rejects.toMatchObject({
      phase: 'ehlo',
      reason: expect.stringContaining('lines'),
    });
  });

  it('refuses to send while the peer has spoken out of turn', async () => {
    const { s, session: sess } = session();
    s.push('250 ok\r\n421 closing\r\n');
    await sess.reply('ehlo', 1_000);
    expect(() => sess.send('vrfy', 'VRFY postmaster')).toThrow(/nobody asked for/);
  });
});
