/**
 * Scripted line-protocol peers for the probe tests (SMTP on port 25 and submission, IMAP, POP3): a
 * net.Server on 127.0.0.1 port 0 that greets, answers each command through a function, upgrades to
 * TLS when told, speaks TLS from the first byte when asked, or misbehaves on purpose.
 */
import { createServer, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContextOptions } from 'node:tls';

/** What the peer does with one command line. */
export type LineAction =
  | string[]
  | 'stall'
  | 'close'
  /** Send these lines, then end the connection as a server does after QUIT. */
  | { last: string[] }
  /** Send these lines, then run the TLS handshake as a server (or hang up / go silent instead). */
  | { starttls: string[]; then?: 'handshake' | 'close' | 'stall' };

/** How a peer behaves: greeting, TLS settings and the answer to each command line. */
export interface LinePeerScript {
  /** TLS from the first byte with these settings; the greeting then goes inside TLS. */
  implicitTls?: SecureContextOptions;
  /** Settings used when an answer asks for a STARTTLS handshake. */
  tls?: SecureContextOptions;
  /** Greeting lines, raw bytes (garbage), or 'stall' to never greet. */
  greeting: string[] | Buffer | 'stall';
  answer: (line: string, secure: boolean) => LineAction;
}

/** A running peer and what it saw. */
export interface LinePeer {
  port: number;
  /** Every command line received, in order, across connections. */
  commands: string[];
  connections: number;
  close(): Promise<void>;
}

const noop = (): void => {};

/** Starts a scripted peer on 127.0.0.1 with an OS-chosen port. */
export async function startLinePeer(script: LinePeerScript): Promise<LinePeer> {
  const sockets = new Set<Socket>();
  const implicitCtx = script.implicitTls ? createSecureContext(script.implicitTls) : undefined;
  const starttlsCtx = script.tls ? createSecureContext(script.tls) : undefined;
  const peer: LinePeer = { port: 0, commands: [], connections: 0, close: async () => {} };
  const keep = (s: Socket) => {
    sockets.add(s);
    s.on('error', noop);
    s.once('close', () => sockets.delete(s));
  };
  const secureOver = (
    raw: Socket,
    ctx: ReturnType<typeof createSecureContext>,
    then: (s: Socket) => void,
  ) => {
    const secure = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    keep(secure as unknown as Socket);
    secure.once('secure', () => then(secure as unknown as Socket));
  };

  const greet = (socket: Socket) => {
    const g = script.greeting;
    if (g === 'stall') return;
    socket.write(Buffer.isBuffer(g) ? g : wire(g));
  };

  const serve = (socket: Socket, secure: boolean) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        peer.commands.push(line);
        if (act(script.answer(line, secure))) return;
      }
    };
    // True when the socket changed hands (TLS) or closed: stop parsing this buffer.
    const act = (a: LineAction): boolean => {
      if (a === 'stall') return false;
      if (a === 'close') {
        socket.destroy();
        return true;
      }
      if (Array.isArray(a)) {
        socket.write(wire(a));
        return false;
      }
      // Lines after QUIT are still read (and recorded), as a real server's would be until it closes.
      if ('last' in a) {
        socket.end(wire(a.last));
        return false;
      }
      socket.write(wire(a.starttls));
      socket.off('data', onData);
      if (a.then === 'close') socket.once('data', () => socket.destroy());
      else if (a.then !== 'stall') secureOver(socket, starttlsCtx!, (s) => serve(s, true));
      return true;
    };
    socket.on('data', onData);
  };

  const server = createServer((socket) => {
    peer.connections += 1;
    keep(socket);
    if (implicitCtx) {
      secureOver(socket, implicitCtx, (s) => {
        greet(s);
        serve(s, true);
      });
      return;
    }
    greet(socket);
    serve(socket, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  peer.port = typeof address === 'object' && address ? address.port : 0;
  peer.close = () =>
    new Promise<void>((resolve) => {
      for (const s of [...sockets].reverse()) s.destroy();
      server.close(() => resolve());
    });
  return peer;
}

/** Lines as they go on the wire, each ended by CRLF. */
function wire(lines: string[]): string {
  return lines.map((l) => `${l}\r\n`).join('');
}
