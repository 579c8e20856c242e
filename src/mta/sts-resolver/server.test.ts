import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StsAnswer } from './answer.js';
import { NetstringDecoder, encodeNetstring } from './netstring.js';
import { parseListen, startSocketmapServer, type SocketmapServer } from './server.js';

let server: SocketmapServer;
const seen: string[] = [];

/** Answers synchronously except for `slow.*` keys, which take 30 ms. */
const lookup = {
  lookup(key: string): StsAnswer | Promise<StsAnswer> {
    seen.push(key);
    if (key === 'boom.example') throw new Error('broken');
    if (key.startsWith('slow.'))
      return new Promise((resolve) => setTimeout(() => resolve({ kind: 'dane-only' }), 30));
    if (key === 'secure.example') return { kind: 'secure', match: ['mx.secure.example'], policyId: '1' };
    return { kind: 'notfound', reason: 'none' };
  },
};

beforeAll(async () => {
  server = await startSocketmapServer({ listen: parseListen('inet:127.0.0.1:0'), lookup, idleMs: 2000 });
});
afterAll(() => server?.close());

/** Sends raw bytes and collects decoded replies until `count` arrive or the server closes. */
function exchange(raw: Buffer | string, count: number): Promise<{ replies: string[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port: server.port! });
    const decoder = new NetstringDecoder(100_000);
    const replies: string[] = [];
    const timer = setTimeout(() => reject(new Error(`timed out with ${JSON.stringify(replies)}`)), 3000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closed });
    };
    socket.on('data', (c: Buffer) => {
      replies.push(...decoder.push(c).map(String));
      if (replies.length >= count && count > 0) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('error', reject);
    socket.write(raw);
  });
}

const req = (key: string) => encodeNetstring(`postfix ${key}`);

describe('parseListen', () => {
  it('reads the Postfix-style addresses', () => {
    expect(parseListen('inet:127.0.0.1:8461')).toEqual({ kind: 'inet', host: '127.0.0.1', port: 8461 });
    expect(parseListen('inet:[::1]:8461')).toEqual({ kind: 'inet', host: '::1', port: 8461 });
    expect(parseListen('unix:/run/sts.sock')).toEqual({ kind: 'unix', path: '/run/sts.sock' });
    expect(() => parseListen('127.0.0.1:8461')).toThrow('--listen');
    expect(() => parseListen('inet:127.0.0.1:99999')).toThrow('--listen');
  });
});

describe('socketmap server', () => {
  it('listens on a unix socket, never deleting a file or taking a socket still in use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailcomply-sock-'));
    const path = join(dir, 'sts.sock');
    const file = join(dir, 'precious.txt');
    writeFileSync(file, 'keep me');
    const busy = createServer();
    try {
      await expect(startSocketmapServer({ listen: parseListen(`unix:${file}`), lookup })).rejects.toThrow(
        /EADDRINUSE/,
      );
      expect(readFileSync(file, 'utf8')).toBe('keep me');
      await new Promise<void>((r) => busy.listen(path, r));
      await expect(startSocketmapServer({ listen: parseListen(`unix:${path}`), lookup })).rejects.toThrow(
        /already listening/,
      );
      await new Promise((r) => busy.close(r));
      const unix = await startSocketmapServer({ listen: parseListen(`unix:${path}`), lookup });
      try {
        expect(unix.address).toBe(`unix:${path}`);
        const reply = await new Promise<string>((resolve, reject) => {
          const s = connect(path);
          s.on('error', reject);
          s.once('data', (c: Buffer) => {
            s.destroy();
            resolve(String(c));
          });
          s.write(req('other.example'));
        });
        expect(reply).toBe('9:NOTFOUND ,');
      } finally {
        await unix.close();
      }
    } finally {
      busy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers pipelined requests in order, slow ones included', async () => {
    const raw = Buffer.concat([req('slow.example'), req('secure.example'), req('other.example')]);
    const { replies } = await exchange(raw, 3);
    expect(replies).toEqual([
      'OK dane-only',
      'OK secure match=mx.secure.example servername=hostname',
      'NOTFOUND ',
    ]);
  });

  it('answers a request split across many writes', async () => {
    const socket = connect({ host: '127.0.0.1', port: server.port! });
    const reply = new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(String(c))));
    for (const byte of req('secure.example')) {
      socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await reply).toBe('53:OK secure match=mx.secure.example servername=hostname,');
    socket.destroy();
  });

  it('answers PERM for a request without a key and TEMP when the lookup throws', async () => {
    const { replies } = await exchange(Buffer.concat([encodeNetstring('postfix'), req('boom.example')]), 2);
    expect(replies[0]).toMatch(/^PERM /);
    expect(replies[1]).toMatch(/^TEMP lookup failed/);
  });

  it('closes a connection sending a malformed netstring, after a PERM reply', async () => {
    const { replies, closed } = await exchange(
      Buffer.concat([req('secure.example'), Buffer.from('x:junk,')]),
      0,
    );
    expect(closed).toBe(true);
    expect(replies[0]).toMatch(/^OK secure/);
    expect(replies[1]).toMatch(/^PERM malformed request/);
  });

  it('refuses an oversized request as soon as its length is read, without reading it', async () => {
    const { replies, closed } = await exchange('100000000:', 0);
    expect(closed).toBe(true);
    expect(replies).toEqual(['PERM malformed request: a netstring is longer than 1024 bytes']);
  });

  it('survives clients that vanish mid-request and mid-reply', async () => {
    for (let i = 0; i < 20; i++) {
      const s = connect({ host: '127.0.0.1', port: server.port! });
      await new Promise((r) => s.once('connect', r));
      s.write(i % 2 ? '27:postfix sl' : Buffer.concat([req('slow.example'), req('slow.example')]));
      if (i % 3 === 0) s.resetAndDestroy();
      else s.destroy();
    }
    await new Promise((r) => setTimeout(r, 60));
    const { replies } = await exchange(req('secure.example'), 1);
    expect(replies).toEqual(['OK secure match=mx.secure.example servername=hostname']);
  });
});
