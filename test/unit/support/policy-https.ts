/**
 * A small HTTPS server for MTA-STS fetch tests: one listener on 127.0.0.1 port 0, a certificate per
 * host chosen by SNI, and a handler per host that may misbehave (redirect, stream forever, stall).
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { IssuedCert, LabCa } from '../../../src/lab/ca.js';

/** Which certificate a host presents. */
export type CertKind = 'valid' | 'wrong-name' | 'self-signed' | 'expired';

export interface PolicySite {
  cert?: CertKind;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export interface PolicyHttps {
  port: number;
  /** Requests seen, as `host path`. */
  requests: string[];
  close(): Promise<void>;
}

async function issue(ca: LabCa, host: string, kind: CertKind): Promise<IssuedCert> {
  switch (kind) {
    case 'valid':
      return ca.issue({ names: [host] });
    case 'wrong-name':
      return ca.issue({ names: [`www.${host.replace(/^mta-sts\./, '')}`] });
    case 'self-signed':
      return ca.issue({ names: [host], selfSigned: true });
    case 'expired':
      return ca.issue({ names: [host], notAfter: new Date(Date.now() - 86_400_000) });
  }
}

/** Starts the server; every host in `sites` gets its own certificate from the lab CA. */
export async function startPolicyHttps(sites: Record<string, PolicySite>, ca: LabCa): Promise<PolicyHttps> {
  const contexts = new Map<string, SecureContext>();
  let fallback: IssuedCert | undefined;
  for (const [host, site] of Object.entries(sites)) {
    const cert = await issue(ca, host, site.cert ?? 'valid');
    fallback ??= cert;
    contexts.set(host, createSecureContext({ key: cert.keyPem, cert: cert.chainPem }));
  }
  const first = fallback ?? (await ca.issue({ names: ['localhost'] }));
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    {
      key: first.keyPem,
      cert: first.chainPem,
      SNICallback: (name, cb) => cb(null, contexts.get(name.toLowerCase())),
    },
    (req, res) => {
      const host = String(req.headers.host ?? '').toLowerCase();
      requests.push(`${host} ${req.url ?? ''}`);
      const site = sites[host];
      if (!site) {
        res.writeHead(421).end();
        return;
      }
      site.handle(req, res);
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A handler serving `body` with this status and content type. */
export function serve(body: string | Buffer, contentType = 'text/plain', status = 200): PolicySite['handle'] {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}

/** A handler that writes `chunk` again and again until the client goes away (an endless policy). */
export function endless(chunk: string, everyMs = 0): PolicySite['handle'] {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let timer: NodeJS.Timeout | undefined;
    let open = true;
    res.on('close', () => {
      open = false;
      if (timer) clearTimeout(timer);
    });
    const pump = () => {
      if (!open) return;
      if (everyMs > 0) {
        res.write(chunk);
        timer = setTimeout(pump, everyMs);
      } else if (res.write(chunk)) setImmediate(pump);
      else res.once('drain', pump);
    };
    pump();
  };
}
