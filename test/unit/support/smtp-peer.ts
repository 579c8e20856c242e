/**
 * Scripted SMTP peers for probe tests: a net.Server on 127.0.0.1 port 0 that answers each command
 * with canned lines, upgrades to TLS on STARTTLS, or misbehaves on purpose.
 */
import { createServer, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContextOptions } from 'node:tls';

/** What the peer does with one command: send these raw lines (CRLF added) or act. */
export type PeerAction =
  | string[]
  | 'stall'
  | 'close'
  /** Send `220`, then run the TLS handshake as a server. */
  | 'starttls'
  /** Send `220`, then hang up as soon as the client starts the handshake. */
  | 'starttls-then-close'
  /** Send `220`, then ignore everything. */
  | 'starttls-then-stall';

export interface PeerScript {
  /** Raw greeting lines, or a raw buffer (garbage), or 'stall' to never greet. */
  banner?: string[] | Buffer | 'stall';
  /** Extensions in the EHLO reply after the greeting line; STARTTLS is added when `tls` is set. */
  extensions?: string[];
  /** Enables STARTTLS with these settings (key, cert, versions, ciphers). */
  tls?: SecureContextOptions;
  /** Replies by upper-case verb, overriding the defaults. */
  replies?: Record<string, PeerAction>;
}

export interface ScriptedPeer {
  port: number;
  /** Every command line received, in order, across connections. */
  commands: string[];
  /** Connections accepted so far. */
  connections: number;
  /** Destroys open connections and closes the server. */
  close(): Promise<void>;
}

const noop = (): void => {};

/** Starts a scripted peer on 127.0.0.1 with an OS-chosen port. */
export async function startPeer(script: PeerScript): Promise<ScriptedPeer> {
  const sockets = new Set<Socket>();
  const secureContext = script.tls ? createSecureContext(script.tls) : undefined;
  const peer: ScriptedPeer = { port: 0, commands: [], connections: 0, close: async () => {} };

  const defaults = (tlsUp: boolean): Record<string, PeerAction> => ({
    EHLO: ehloLines([
      'peer.test greets you',
      ...(script.extensions ?? ['PIPELINING', 'SIZE 10240000']),
      ...(secureContext && !tlsUp ? ['STARTTLS'] : []),
    ]),
    HELO: ['250 peer.test'],
    STARTTLS: secureContext && !tlsUp ? 'starttls' : ['502 5.5.1 STARTTLS not available'],
    VRFY: ['502 5.5.1 VRFY command is disabled'],
    EXPN: ['502 5.5.2 Error: command not recognized'],
    MAIL: ['250 2.1.0 Ok'],
    RCPT: ['554 5.7.1 Relay access denied'],
    RSET: ['250 2.0.0 Ok'],
    QUIT: ['221 2.0.0 Bye'],
  });

  const serve = (socket: Socket, tlsUp: boolean) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        peer.commands.push(line);
        const verb = line.split(' ', 1)[0]!.toUpperCase();
        const action = script.replies?.[verb] ??
          defaults(tlsUp)[verb] ?? ['502 5.5.2 Error: command not recognized'];
        if (act(action, verb)) return;
      }
    };
    // Returns true when the socket changed hands (TLS) or closed: stop parsing this buffer.
    const act = (action: PeerAction, verb: string): boolean => {
      if (action === 'stall') return false;
      if (action === 'close') {
        socket.destroy();
        return true;
      }
      if (action === 'starttls' || action === 'starttls-then-close' || action === 'starttls-then-stall') {
        socket.write('220 2.0.0 Ready to start TLS\r\n');
        socket.off('data', onData);
        if (action === 'starttls-then-close') {
          socket.once('data', () => socket.destroy());
          return true;
        }
        if (action === 'starttls-then-stall') return true;
        const secure = new TLSSocket(socket, { isServer: true, secureContext: secureContext! });
        secure.on('error', noop);
        sockets.add(secure as unknown as Socket);
        secure.once('close', () => sockets.delete(secure as unknown as Socket));
        serve(secure as unknown as Socket, true);
        return true;
      }
      socket.write(action.map((l) => `${l}\r\n`).join(''));
      if (verb === 'QUIT') socket.end();
      return false;
    };
    socket.on('data', onData);
  };

  const server = createServer((socket) => {
    peer.connections += 1;
    sockets.add(socket);
    socket.on('error', noop);
    socket.once('close', () => sockets.delete(socket));
    const banner = script.banner ?? ['220 peer.test ESMTP'];
    if (banner === 'stall') return;
    if (Buffer.isBuffer(banner)) socket.write(banner);
    else socket.write(banner.map((l) => `${l}\r\n`).join(''));
    serve(socket, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  peer.port = typeof address === 'object' && address ? address.port : 0;
  peer.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return peer;
}

/** `250-first`, `250-...`, `250 last`. */
export function ehloLines(texts: string[]): string[] {
  return texts.map((t, i) => `250${i === texts.length - 1 ? ' ' : '-'}${t}`);
}

/** A free loopback port: listen, note it, close. Nothing listens there afterwards. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
