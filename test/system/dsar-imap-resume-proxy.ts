import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * When to cut: after the `nth` client command matching `command`, once `afterBytes` of the answer
 * passed, or (with `atAnswer`) just before the chunk of the answer that completes a match, which
 * the client then never sees although the server has already carried the command out.
 */
export interface CutRule {
  command: RegExp;
  nth?: number;
  afterBytes?: number;
  atAnswer?: RegExp;
  /** Refuse every later connection, so reconnecting fails. */
  refuseAfter?: boolean;
}

/** A loopback TCP proxy in front of an IMAP server that resets the connection once, on a rule. */
export interface CutProxy {
  port: number;
  /** imap://user@127.0.0.1:port/ through the proxy. */
  url(user: string): string;
  /** Connections accepted (refused ones not counted). */
  readonly connections: number;
  /** Cuts made; each rule cuts at most once. */
  readonly cuts: number;
  arm(rule: CutRule): void;
  /** Accept connections again after a `refuseAfter` cut. */
  reopen(): void;
  close(): Promise<void>;
}

/**
 * Starts the proxy on 127.0.0.1 port 0. The cut is a TCP reset towards the client (what a NAT or a
 * restarting server produces) and a close towards the server, mid-answer wherever the count lands.
 */
export async function startCutProxy(upstreamHost: string, upstreamPort: number): Promise<CutProxy> {
  let rule: CutRule | undefined;
  let seen = 0;
  let refusing = false;
  const state = { connections: 0, cuts: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    state.connections++;
    const upstream = connect(upstreamPort, upstreamHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let counting = false;
    let passed = 0;
    let answer = '';
    client.on('data', (d: Buffer) => {
      if (rule && !counting && rule.command.test(d.toString('latin1')) && ++seen === (rule.nth ?? 1)) {
        counting = true;
        passed = 0;
        answer = '';
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!counting || !rule) {
        client.write(d);
        return;
      }
      let room: number;
      if (rule.atAnswer) {
        answer += d.toString('latin1');
        room = rule.atAnswer.test(answer) ? 0 : Infinity;
      } else room = (rule.afterBytes ?? 0) - passed;
      if (d.length <= room) {
        passed += d.length;
        client.write(d);
        return;
      }
      const part = d.subarray(0, Math.max(0, room));
      state.cuts++;
      if (rule.refuseAfter) refusing = true;
      rule = undefined;
      counting = false;
      // The part is written before the reset; the reset discards whatever the kernel still holds
      // for the client, so the client sees an answer cut somewhere up to here.
      client.write(part, () => {
        client.resetAndDestroy();
        upstream.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: (user) => `imap://${encodeURIComponent(user)}@127.0.0.1:${port}/`,
    get connections() {
      return state.connections;
    },
    get cuts() {
      return state.cuts;
    },
    arm(r) {
      rule = r;
      seen = 0;
    },
    reopen() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
