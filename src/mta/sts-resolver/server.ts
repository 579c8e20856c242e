/**
 * The socketmap server Postfix talks to (socketmap_table(5)): requests `<len>:<name> <key>,`,
 * replies in the same framing, several per connection, in order. A broken peer (malformed or
 * oversized netstring, vanished mid-request) costs its own connection and nothing else.
 */
import { lstatSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { UsageError, describeError } from '../../core/errors.js';
import {
  STS_SOCKETMAP_IDLE_MS,
  STS_SOCKETMAP_MAX_CONNECTIONS,
  STS_SOCKETMAP_MAX_REQUEST_BYTES,
} from '../../core/limits.js';
import { socketmapReply, type StsAnswer } from './answer.js';
import { NetstringDecoder, encodeNetstring } from './netstring.js';

/** Where the server listens: `inet:HOST:PORT` or `unix:PATH`, as in Postfix's map syntax. */
export type ListenAddress = { kind: 'inet'; host: string; port: number } | { kind: 'unix'; path: string };

/** Parses `inet:127.0.0.1:8461`, `inet:[::1]:8461` or `unix:/run/mailcomply/sts.sock`. */
export function parseListen(value: string): ListenAddress {
  if (value.startsWith('unix:') && value.length > 5) return { kind: 'unix', path: value.slice(5) };
  const m = /^inet:(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new UsageError(`--listen ${value}: expected inet:HOST:PORT or unix:PATH`);
  }
  return { kind: 'inet', host: (m[1] ?? m[2])!, port };
}

/** Something that answers lookups: the StsResolver, or a stub in tests and benchmarks. */
export interface SocketmapLookup {
  lookup(key: string): StsAnswer | Promise<StsAnswer>;
}

/** A listening socketmap server. */
export interface SocketmapServer {
  /** `inet:127.0.0.1:PORT` or `unix:PATH`, with the port the OS chose. */
  address: string;
  port?: number;
  close(): Promise<void>;
}

/** Options of `startSocketmapServer`. */
export interface SocketmapServerOptions {
  listen: ListenAddress;
  lookup: SocketmapLookup;
  logger?: Logger;
  /** Idle connections are closed after this long. */
  idleMs?: number;
}

/**
 * Starts the server; `port: 0` lets the OS choose. A stale unix socket is replaced; any other
 * file at the path makes listening fail (EADDRINUSE).
 * @example await startSocketmapServer({ listen: parseListen('inet:127.0.0.1:0'), lookup: resolver })
 */
export async function startSocketmapServer(o: SocketmapServerOptions): Promise<SocketmapServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, o);
  });
  // Postfix holds one connection per smtp process; far more is a flood, refused before it eats fds.
  server.maxConnections = STS_SOCKETMAP_MAX_CONNECTIONS;
  await listen(server, o.listen);
  const info = server.address();
  const port = typeof info === 'object' && info ? (info as AddressInfo).port : undefined;
  const address =
    o.listen.kind === 'unix'
      ? `unix:${o.listen.path}`
      : `inet:${o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host}:${port}`;
  return {
    address,
    ...(port !== undefined ? { port } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

async function listen(server: Server, at: ListenAddress): Promise<void> {
  // Only a stale socket is removed: a mistyped path must never delete someone's file, and a
  // socket a running server still answers on is not taken from it.
  if (at.kind === 'unix' && isSocket(at.path)) {
    if (await answers(at.path))
      throw new UsageError(`--listen unix:${at.path}: a server is already listening there`);
    rmSync(at.path, { force: true });
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve();
    };
    if (at.kind === 'unix') server.listen(at.path, done);
    else server.listen(at.port, at.host, done);
  });
}

/** One connection: decode requests, answer each in order, end the connection on a framing error. */
function serve(socket: Socket, o: SocketmapServerOptions): void {
  const decoder = new NetstringDecoder(STS_SOCKETMAP_MAX_REQUEST_BYTES);
  // Replies still being worked out, in request order; a cached answer skips the queue when it is empty.
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const send = (payload: string) => {
    if (!socket.destroyed && socket.writable) socket.write(encodeNetstring(payload));
  };
  socket.setTimeout(o.idleMs ?? STS_SOCKETMAP_IDLE_MS, () => socket.destroy());
  // A client that resets or vanishes only ends its own connection.
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    const requests = decoder.push(chunk);
    for (const raw of requests) {
      const answer = answerRequest(raw.toString('utf8'), o);
      if (pending === 0 && !(answer instanceof Promise)) {
        send(socketmapReply(answer));
        continue;
      }
      pending++;
      const ready = Promise.resolve(answer).catch((err: unknown): StsAnswer => ({
        kind: 'temp',
        reason: `lookup failed: ${describeError(err)}`,
      }));
      queue = queue
        .then(() => ready)
        .then((a) => {
          pending--;
          send(socketmapReply(a));
        });
    }
    if (decoder.error !== undefined) {
      const reason = decoder.error;
      o.logger?.warn({ reason }, 'socketmap: malformed request, connection closed');
      // Earlier requests still get their answers; then the reason, then the end.
      socket.pause();
      void queue.then(() => {
        send(`PERM malformed request: ${reason}`);
        socket.end();
      });
    }
  });
}

function answerRequest(request: string, o: SocketmapServerOptions): StsAnswer | Promise<StsAnswer> {
  const space = request.indexOf(' ');
  if (space <= 0 || space === request.length - 1) {
    return { kind: 'perm', reason: 'expected "<map name> <key>"' };
  }
  try {
    return o.lookup.lookup(request.slice(space + 1));
  } catch (err) {
    return { kind: 'temp', reason: `lookup failed: ${describeError(err)}` };
  }
}
