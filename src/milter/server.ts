import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { describeError, UsageError } from '../core/errors.js';
import { MILTER_IDLE_TIMEOUT_MS } from '../core/limits.js';
import { FrameDecoder, MilterProtocolError, type Packet } from './codec.js';
import { commandName } from './protocol.js';
import {
  MilterSession,
  type HeaderRewriter,
  type MessageOutcome,
  type MilterStats,
  type OnError,
} from './session.js';

/** Where the milter listens, in Postfix/Sendmail notation. */
export type ListenSpec = { kind: 'inet'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * Parses `inet:HOST:PORT`, `inet:PORT@HOST` (Sendmail/Postfix style), `inet6:[ADDR]:PORT` and
 * `unix:/path` (also `local:/path`). Port 0 lets the OS choose.
 */
export function parseListen(text: string): ListenSpec {
  const m = /^(inet6?|unix|local):(.+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--listen ${text}: expected inet:HOST:PORT or unix:/path`);
  const [, kind, rest] = m as unknown as [string, string, string];
  if (kind === 'unix' || kind === 'local') {
    if (!rest.startsWith('/')) throw new UsageError(`--listen ${text}: the socket path must be absolute`);
    return { kind: 'unix', path: rest };
  }
  let host: string;
  let portText: string;
  const at = /^(\d+)@(.+)$/.exec(rest);
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(rest);
  if (at) [, portText, host] = at as unknown as [string, string, string];
  else if (bracket) [, host, portText] = bracket as unknown as [string, string, string];
  else {
    const colon = rest.lastIndexOf(':');
    if (colon <= 0) throw new UsageError(`--listen ${text}: expected inet:HOST:PORT`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new UsageError(`--listen ${text}: bad port`);
  return { kind: 'inet', host, port };
}

/** Formats a listening address back into `--listen` notation (with the real port). */
export function formatListen(spec: ListenSpec): string {
  if (spec.kind === 'unix') return `unix:${spec.path}`;
  return spec.host.includes(':') ? `inet6:[${spec.host}]:${spec.port}` : `inet:${spec.host}:${spec.port}`;
}

/** Minimal logger shape (pino-compatible); the caller creates it. */
export interface MilterLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface MilterServerOptions {
  rewrite: HeaderRewriter;
  /** Answer when the milter fails on a message (default tempfail: nothing leaves unsanitised). */
  onError?: OnError;
  logger?: MilterLogger;
  idleTimeoutMs?: number;
  /** File mode of a unix socket (default 0o660: the MTA's group, not every local user). */
  socketMode?: number;
  onMessage?: (o: MessageOutcome) => void;
}

/**
 * A milter server: one MilterSession per MTA connection, any number of connections at once. A bad
 * connection is closed on its own; nothing a peer sends stops the server.
 */
export class MilterServer {
  readonly stats: MilterStats = {
    connections: 0,
    active: 0,
    messages: 0,
    rewritten: 0,
    failed: 0,
    protocolErrors: 0,
  };
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private unixPath: string | undefined;

  constructor(private readonly o: MilterServerOptions) {}

  /** Starts listening; resolves with the bound address (the real port when 0 was asked for). */
  async listen(spec: ListenSpec): Promise<ListenSpec> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    if (spec.kind === 'unix') removeStaleSocket(spec.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (spec.kind === 'unix') server.listen(spec.path, done);
      else server.listen(spec.port, spec.host, done);
    });
    server.on('error', (err) => this.o.logger?.warn({ err: describeError(err) }, 'milter server error'));
    if (spec.kind === 'unix') {
      this.unixPath = spec.path;
      chmodSync(spec.path, this.o.socketMode ?? 0o660);
      return spec;
    }
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : spec.port;
    return { kind: 'inet', host: spec.host, port };
  }

  /** Stops accepting, ends every connection and resolves when the server is closed. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.unixPath) {
      removeStaleSocket(this.unixPath);
      this.unixPath = undefined;
    }
  }

  private accept(socket: Socket): void {
    this.stats.connections++;
    this.stats.active++;
    this.sockets.add(socket);
    socket.setTimeout(this.o.idleTimeoutMs ?? MILTER_IDLE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.stats.active--;
      this.sockets.delete(socket);
    });
    const session = new MilterSession({
      rewrite: this.o.rewrite,
      onError: this.o.onError ?? 'tempfail',
      stats: this.stats,
      onMessage: this.o.onMessage,
    });
    const decoder = new FrameDecoder();
    const queue: Packet[] = [];
    let running = false;
    let closed = false;

    const protocolError = (err: unknown, cmd?: number) => {
      if (closed) return;
      closed = true;
      this.stats.protocolErrors++;
      this.o.logger?.warn(
        { err: describeError(err), command: cmd === undefined ? undefined : commandName(cmd) },
        'milter protocol error; closing the connection',
      );
      if (cmd !== undefined && session.expectsReply(cmd)) socket.end(session.errorReply);
      else socket.end();
      socket.destroySoon();
    };

    // Packets are handled strictly in order; only a rewriter that returns a promise makes us wait.
    const drain = async () => {
      if (running) return;
      running = true;
      let out: Buffer[] = [];
      try {
        while (queue.length > 0 && !closed) {
          const p = queue.shift() as Packet;
          let r: ReturnType<MilterSession['handle']>;
          try {
            r = session.handle(p);
            if (r instanceof Promise) {
              if (out.length) socket.write(Buffer.concat(out));
              out = [];
              r = await r;
            }
          } catch (err) {
            if (out.length) socket.write(Buffer.concat(out));
            out = [];
            if (err instanceof MilterProtocolError) protocolError(err, p.cmd);
            else
              protocolError(
                new MilterProtocolError(`internal error: ${describeError(err)}`, { cause: err }),
                p.cmd,
              );
            return;
          }
          if (r === 'quit') {
            closed = true;
            if (out.length) socket.end(Buffer.concat(out));
            else socket.end();
            out = [];
            return;
          }
          for (const b of r) out.push(b);
        }
        if (out.length && !socket.destroyed)
          socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
      } finally {
        running = false;
      }
    };

    socket.on('data', (chunk: Buffer) => {
      if (closed) return;
      try {
        for (const p of decoder.push(chunk)) queue.push(p);
      } catch (err) {
        // Packets decoded before the bad length are still answered, then the connection ends.
        void drain().then(() => protocolError(err));
        return;
      }
      void drain();
    });
  }
}

/** Removes a leftover unix socket from an earlier run; refuses to delete anything that is not a socket. */
function removeStaleSocket(path: string): void {
  let isSocket = false;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new UsageError(`${path} exists and is not a socket; refusing to replace it`);
  unlinkSync(path);
}
