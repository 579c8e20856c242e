import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { MailcomplyError } from '../core/errors.js';
import type { IssuedCert, LabCa } from './ca.js';
import { LAB_WRONG_NAME } from './tls-profiles.js';

/** What a lab MTA-STS host does with a policy request. */
export const LAB_HTTPS_BEHAVIOURS = [
  'policy',
  'redirect',
  'oversize',
  'wrong-content-type',
  'endless',
  'binary',
  'not-found',
  'wrong-cert',
] as const;
export type LabHttpsBehaviour = (typeof LAB_HTTPS_BEHAVIOURS)[number];

/** One virtual host of the lab HTTPS server. */
export interface LabHttpsSite {
  /** `mta-sts.<domain>`: the SNI name and Host header the site answers to. */
  host: string;
  behaviour: LabHttpsBehaviour;
  /** Body of /.well-known/mta-sts.txt; a valid enforce policy for `*.<domain>` when absent. */
  policy?: string;
}

/** The running lab HTTPS server. */
export interface LabHttps {
  /** The one loopback port (on 127.0.0.1) every site shares, told apart by SNI and Host. */
  port: number;
  /** The certificate each site presents, by host. */
  certs: Map<string, IssuedCert>;
  /** Stops listening and destroys every connection, endless streams included. */
  close(): Promise<void>;
}

/** RFC 8461 §3.3: the well-known policy path. */
export const MTA_STS_POLICY_PATH = '/.well-known/mta-sts.txt';
/** Where a `redirect` site points: a path that does serve the policy, so following it is detectable. */
export const LAB_REDIRECT_PATH = '/.well-known/mta-sts-moved.txt';
/** Size of an `oversize` body: four times the 64 KiB RFC 8461 §3.3 lets a client stop at. */
export const LAB_OVERSIZE_BYTES = 256 * 1024;
/** Size of a `binary` body: small, so it is the content and not the size that is wrong. */
const LAB_BINARY_BYTES = 4 * 1024;
/** What a client with no (or an unknown) SNI name gets: a certificate for no real host. */
const LAB_DEFAULT_NAME = 'default.lab.invalid';
/** Lines padding `oversize` and `endless` bodies: a harmless unknown key, as RFC 8461 allows. */
const PAD_LINE = `x-lab-padding: ${'p'.repeat(240)}\r\n`;

const canonical = (host: string) => host.toLowerCase().replace(/\.$/, '');

/** A policy any MTA-STS client should accept for the site's domain. */
export function defaultLabPolicy(host: string): string {
  const domain = canonical(host).replace(/^mta-sts\./, '');
  return `version: STSv1\r\nmode: enforce\r\nmx: *.${domain}\r\nmax_age: 604800\r\n`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** Writes the policy, then padding for as long as `more()` says, respecting backpressure. */
function stream(res: ServerResponse, policy: string, more: (sent: number) => boolean): void {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  // A HEAD response has no body: writes would be swallowed and the loop below would never yield.
  if (res.req.method === 'HEAD') return void res.end();
  let sent = Buffer.byteLength(policy);
  res.write(policy);
  const chunk = PAD_LINE.repeat(64);
  const pump = () => {
    while (!res.destroyed && more(sent)) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

function respond(site: LabHttpsSite, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const policy = site.policy ?? defaultLabPolicy(site.host);
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return send(res, 405, 'text/plain', 'method not allowed\n');
  if (site.behaviour === 'redirect') {
    if (path === LAB_REDIRECT_PATH) return send(res, 200, 'text/plain', policy);
    if (path !== MTA_STS_POLICY_PATH) return send(res, 404, 'text/plain', 'not found\n');
    res.writeHead(301, { Location: `https://${site.host}${LAB_REDIRECT_PATH}`, 'Content-Length': 0 });
    return void res.end();
  }
  if (path !== MTA_STS_POLICY_PATH) return send(res, 404, 'text/plain', 'not found\n');
  switch (site.behaviour) {
    case 'oversize':
      // Chunked, with no Content-Length: a client has to count the bytes itself to stop in time.
      return stream(res, policy, (sent) => sent < LAB_OVERSIZE_BYTES);
    case 'endless':
      return stream(res, policy, () => true);
    case 'wrong-content-type':
      return send(res, 200, 'text/html; charset=utf-8', policy);
    case 'binary':
      return send(res, 200, 'text/plain', randomBytes(LAB_BINARY_BYTES));
    case 'not-found':
      return send(res, 404, 'text/plain', 'not found\n');
    default:
      return send(res, 200, 'text/plain', policy);
  }
}

/**
 * Starts ONE HTTPS server on 127.0.0.1 port 0 for all lab MTA-STS hosts: SNI picks each host's
 * certificate (from the lab CA; `wrong-cert` sites get one for another name), the Host header
 * picks its behaviour. Reach it through the lab dialer (mta-sts host address, port 443).
 * @example const https = await startLabHttps([{ host: 'mta-sts.example.test', behaviour: 'policy' }], ca);
 */
export async function startLabHttps(sites: LabHttpsSite[], ca: LabCa): Promise<LabHttps> {
  const byHost = new Map<string, LabHttpsSite>();
  for (const site of sites) {
    const host = canonical(site.host);
    if (byHost.has(host)) throw new MailcomplyError('E_LAB', `two lab HTTPS sites for ${host}`);
    byHost.set(host, site);
  }
  const certs = new Map<string, IssuedCert>();
  const contexts = new Map<string, SecureContext>();
  await Promise.all(
    [...byHost].map(async ([host, site]) => {
      const cert = await ca.issue({ names: [site.behaviour === 'wrong-cert' ? LAB_WRONG_NAME : host] });
      certs.set(site.host, cert);
      contexts.set(
        host,
        createSecureContext({ key: cert.keyPem, cert: cert.chainPem, minVersion: 'TLSv1.2' }),
      );
    }),
  );
  const fallback = await ca.issue({ names: [LAB_DEFAULT_NAME] });

  const server = createServer(
    {
      key: fallback.keyPem,
      cert: fallback.chainPem,
      minVersion: 'TLSv1.2',
      SNICallback: (servername, cb) => cb(null, contexts.get(canonical(servername))),
    },
    (req, res) => {
      const named = canonical((req.headers.host ?? '').replace(/:\d+$/, ''));
      const sni = (req.socket as TLSSocket).servername;
      const site = byHost.get(named) ?? (typeof sni === 'string' ? byHost.get(canonical(sni)) : undefined);
      if (!site) return send(res, 421, 'text/plain', 'misdirected request\n');
      respond(site, req, res);
    },
  );
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  server.on('connection', track);
  server.on('secureConnection', track);
  // Clients that hang up mid-handshake or mid-body are the lab's business, not an error.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  server.on('clientError', (_err, socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    certs,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // TLS sockets were tracked after their raw sockets: destroying in reverse takes the top layer first.
      for (const s of [...open].reverse()) s.destroy();
      await closed;
    },
  };
}
