import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Endpoint } from './raw-query.js';

/** A DNS relay on port 53 of a loopback address, passing every packet to the real resolver unchanged. */
export interface DnsRelay {
  /** The address it listens on, port 53 (UDP and TCP). */
  address: string;
  close(): Promise<void>;
}

/**
 * Where the relay may listen. resolv.conf and `ldns-dane -r` take an address but no port, so the
 * tools that read them can only reach port 53: the relay gives them our unbound there. Several
 * candidates, so a concurrent run holding one does not fail this one.
 */
const CANDIDATES = ['127.0.1.53', '127.0.2.53', '127.0.3.53', '127.0.4.53'];
const DNS_PORT = 53;
const UPSTREAM_TIMEOUT_MS = 5000;

function bindUdp(address: string, upstream: Endpoint): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const server = createSocket('udp4');
    server.once('error', reject);
    server.on('message', (msg, client) => {
      const up = createSocket('udp4');
      const timer = setTimeout(() => up.close(), UPSTREAM_TIMEOUT_MS);
      up.on('error', () => {
        clearTimeout(timer);
        up.close();
      });
      up.once('message', (answer) => {
        clearTimeout(timer);
        up.close();
        server.send(answer, client.port, client.address);
      });
      up.send(msg, upstream.port, upstream.host);
    });
    server.bind(DNS_PORT, address, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

function bindTcp(address: string, upstream: Endpoint, open: Set<Socket>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((client) => {
      const up = connect({ host: upstream.host, port: upstream.port });
      for (const s of [client, up]) {
        open.add(s);
        s.on('close', () => open.delete(s));
        s.on('error', () => {
          client.destroy();
          up.destroy();
        });
      }
      client.pipe(up).pipe(client);
    });
    server.once('error', reject);
    server.listen(DNS_PORT, address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Starts a UDP+TCP relay on port 53 of the first free candidate address. Needs root (port 53). */
export async function startDnsRelay(upstream: Endpoint): Promise<DnsRelay> {
  let lastError: unknown;
  for (const address of CANDIDATES) {
    let udp: UdpSocket | undefined;
    try {
      udp = await bindUdp(address, upstream);
      const open = new Set<Socket>();
      const tcp = await bindTcp(address, upstream, open);
      const bound = udp;
      return {
        address,
        close: async () => {
          for (const s of open) s.destroy();
          await new Promise<void>((resolve) => tcp.close(() => resolve()));
          await new Promise<void>((resolve) => bound.close(() => resolve()));
        },
      };
    } catch (err) {
      lastError = err;
      udp?.close();
    }
  }
  throw new Error(`no loopback address free for a DNS relay on port 53: ${String(lastError)}`);
}
