import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

function tcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

const MAX_PORT_TRIES = 20;

/**
 * A loopback port the OS just handed out and that is free for both TCP and UDP (a DNS server needs
 * both). Released before returning, so a daemon can bind it; callers retry if someone else wins the race.
 */
export async function freeLoopbackPort(
  host = '127.0.0.1',
  avoid: ReadonlySet<number> = new Set(),
): Promise<number> {
  for (let i = 0; i < MAX_PORT_TRIES; i++) {
    const port = await tcpPort(host);
    if (port > 0 && !avoid.has(port) && (await udpFree(host, port))) return port;
  }
  throw new Error(`no free TCP+UDP port on ${host} after ${MAX_PORT_TRIES} tries`);
}
