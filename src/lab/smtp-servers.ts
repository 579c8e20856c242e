import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { MailcomplyError } from '../core/errors.js';
import type { IssuedCert, LabCa } from './ca.js';
import {
  garbageSession,
  hangSession,
  isLocalRecipient,
  listenTracked,
  scriptedSmtpSession,
  type LabListener,
} from './smtp-scripted.js';
import { labTls, type LabTlsFault } from './tls-profiles.js';

/** What a lab MX does: one profile per case a scanner must tell apart. */
export const LAB_SMTP_PROFILES = [
  'valid',
  'no-starttls',
  'expired',
  'wrong-name',
  'self-signed',
  'tls10-only',
  'banner-version',
  'vrfy',
  'hang',
  'garbage',
  'weak-key',
  'starttls-454',
] as const;
export type LabSmtpProfile = (typeof LAB_SMTP_PROFILES)[number];

/** One lab SMTP server. */
export interface LabSmtpDef {
  /** The 127.0.0.x (or any address) the MX host resolves to in the lab zone: the dialer's key. */
  address: string;
  hostname: string;
  profile: LabSmtpProfile;
  /** Serve this certificate instead of the one the profile would issue (e.g. to publish TLSA first). */
  cert?: IssuedCert;
}

/** The running lab SMTP servers. */
export interface LabSmtp {
  /** Loopback port (on 127.0.0.1) of the server for each address. */
  ports: Map<string, number>;
  /** The certificate each TLS-capable server presents, by address: for TLSA records and tests. */
  certs: Map<string, IssuedCert>;
  close(): Promise<void>;
}

/** The version string the `banner-version` profile gives away, as a stock Debian Postfix might. */
export const LAB_DISCLOSED_SOFTWARE = 'Postfix (Debian/GNU) 3.7.11';

const FAULT_OF: Partial<Record<LabSmtpProfile, LabTlsFault>> = {
  expired: 'expired',
  'wrong-name': 'wrong-name',
  'self-signed': 'self-signed',
  'tls10-only': 'tls10-only',
  'weak-key': 'weak-key',
};

/** The lab's smtp-server instances give up on idle clients after this long. */
const LAB_SMTP_SOCKET_TIMEOUT_MS = 60_000;
/** SIZE advertised by the lab servers (Postfix's default message_size_limit). */
const LAB_SMTP_SIZE = 10_240_000;

async function startSmtpServer(def: LabSmtpDef, options: SMTPServerOptions): Promise<LabListener> {
  const server = new SMTPServer({
    name: def.hostname,
    // Postfix style: "250-mx.example.org", not smtp-server's chatty greeting with the client's name.
    heloResponse: '%s',
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    size: LAB_SMTP_SIZE,
    socketTimeout: LAB_SMTP_SOCKET_TIMEOUT_MS,
    onRcptTo(address, _session, callback) {
      if (isLocalRecipient(def.hostname, address.address)) return callback();
      const err = Object.assign(new Error('5.7.1 Relay access denied'), { responseCode: 554 });
      callback(err);
    },
    onData(stream, _session, callback) {
      // The lab keeps no mail: the message is read to its end and dropped.
      stream.resume();
      stream.once('end', () => callback());
    },
    ...options,
  });
  // Client resets and failed handshakes are the point of a hostile lab, never a reason to crash.
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return {
    port: (server.server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() alone waits up to its closeTimeout for sessions to end; the lab ends them now.
      for (const connection of server.connections) connection._socket.destroy();
      await closed;
    },
  };
}

async function startOne(def: LabSmtpDef, ca: LabCa): Promise<{ listener: LabListener; cert?: IssuedCert }> {
  const { profile, hostname } = def;
  if (profile === 'hang') return { listener: await listenTracked(hangSession) };
  if (profile === 'garbage') return { listener: await listenTracked(garbageSession) };
  const tls = await labTls(FAULT_OF[profile] ?? 'none', hostname, ca, { cert: def.cert });
  if (profile === 'vrfy' || profile === 'starttls-454') {
    const secureContext = createSecureContext(tls.options);
    const starttls = profile === 'vrfy' ? 'offer' : '454';
    const listener = await listenTracked((socket, track) =>
      scriptedSmtpSession(socket, track, { hostname, starttls, secureContext, vrfy: profile === 'vrfy' }),
    );
    return { listener, cert: profile === 'vrfy' ? tls.cert : undefined };
  }
  const disabledCommands = ['AUTH', 'VRFY'];
  if (profile === 'no-starttls') disabledCommands.push('STARTTLS');
  const listener = await startSmtpServer(def, {
    ...tls.options,
    banner: profile === 'banner-version' ? LAB_DISCLOSED_SOFTWARE : undefined,
    disabledCommands,
  });
  return { listener, cert: profile === 'no-starttls' ? undefined : tls.cert };
}

/**
 * Starts one SMTP server per definition, each on 127.0.0.1 port 0 (no extra interfaces needed:
 * the lab dialer maps each address to its port). Rejects duplicate addresses.
 * @example const smtp = await startLabSmtp([{ address: '127.0.0.10', hostname: 'mx1.example.test', profile: 'valid' }], ca);
 */
export async function startLabSmtp(defs: LabSmtpDef[], ca: LabCa): Promise<LabSmtp> {
  const seen = new Set<string>();
  for (const def of defs) {
    if (seen.has(def.address))
      throw new MailcomplyError('E_LAB', `two lab SMTP servers for address ${def.address}`);
    seen.add(def.address);
  }
  const started = await Promise.allSettled(defs.map((def) => startOne(def, ca)));
  const listeners = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value.listener] : []));
  const close = async () => {
    await Promise.all(listeners.map((l) => l.close()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const ports = new Map<string, number>();
  const certs = new Map<string, IssuedCert>();
  defs.forEach((def, i) => {
    const result = started[i];
    if (result?.status !== 'fulfilled') return;
    ports.set(def.address, result.value.listener.port);
    if (result.value.cert) certs.set(def.address, result.value.cert);
  });
  return { ports, certs, close };
}
