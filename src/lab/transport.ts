import { X509Certificate } from 'node:crypto';
import type { Dialer } from '../core/dialer.js';
import { MailcomplyError } from '../core/errors.js';
import { tlsaFromCertificate } from '../domain/dane/tlsa.js';
import type { DnsRecord } from '../dns/types.js';
import type { ZoneData } from '../dns/zone-data.js';
import { createLabCa, type IssuedCert, type LabCa } from './ca.js';
import { labDialer } from './dialer.js';
import { startLabAccess, type LabAccessProfile } from './access-servers.js';
import { startLabHttps, type LabHttpsBehaviour } from './https-server.js';
import { startLabSmtp, type LabSmtpProfile } from './smtp-servers.js';

/** What TLSA records the lab publishes for an SMTP server, computed from the certificate it serves. */
export type LabTlsaMode = 'none' | 'match' | 'match-ee-only' | 'mismatch';

export interface LabSmtpSpec {
  /** Absolute MX host name; every A/AAAA address it has in the zone data gets a server. */
  host: string;
  profile: LabSmtpProfile;
  tlsa: LabTlsaMode;
}

export interface LabAccessSpec {
  /** Absolute host name; every A/AAAA address it has gets these submission/IMAP/POP3 servers. */
  host: string;
  profiles: LabAccessProfile[];
}

export interface LabMtaStsSpec {
  /** The policy domain; the site is served as mta-sts.<domain>. */
  domain: string;
  behaviour: LabHttpsBehaviour;
  policy?: string;
}

export interface LabTransport {
  dialer: Dialer;
  /** Address -> port -> loopback port: what the dialer does, for scanners in another process. */
  routes: Map<string, Map<number, number>>;
  /** The lab root, to trust in probes (`ca`). */
  caPem: string;
  close(): Promise<void>;
}

const SMTP_PORT = 25;
const HTTPS_PORT = 443;

/**
 * Starts the lab's SMTP and HTTPS servers and adds the TLSA records computed from their certificates
 * to `zone` (so it must run before the DNS server starts). Servers listen on 127.0.0.1 port 0; the
 * returned dialer maps each MX address:25 and mta-sts address:443 to them.
 */
export async function startLabTransport(
  zone: ZoneData,
  smtp: readonly LabSmtpSpec[],
  mtaSts: readonly LabMtaStsSpec[],
  access: readonly LabAccessSpec[] = [],
  o: { now?: Date } = {},
): Promise<LabTransport> {
  const ca = await createLabCa(o.now ? { now: o.now } : {});
  const defs = [];
  for (const spec of smtp) {
    // DANE-TA needs an issuer in the served chain, so TLSA'd servers get a leaf under the intermediate.
    const cert =
      spec.tlsa !== 'none' && spec.profile === 'valid'
        ? await ca.issue({ names: [spec.host], viaIntermediate: true })
        : undefined;
    for (const address of addressesOf(zone, spec.host)) {
      defs.push({ address, hostname: spec.host, profile: spec.profile, ...(cert ? { cert } : {}) });
    }
  }
  const servers = await startLabSmtp(defs, ca);
  const https = await startLabHttps(
    mtaSts.map((m) => ({
      host: `mta-sts.${m.domain}`,
      behaviour: m.behaviour,
      ...(m.policy !== undefined ? { policy: m.policy } : {}),
    })),
    ca,
  ).catch(async (err: unknown) => {
    await servers.close();
    throw err;
  });
  const accessDefs = access.flatMap((a) =>
    addressesOf(zone, a.host).flatMap((address) =>
      a.profiles.map((profile) => ({ address, hostname: a.host, profile })),
    ),
  );
  const accessServers = await startLabAccess(accessDefs, ca).catch(async (err: unknown) => {
    await Promise.all([servers.close(), https.close()]);
    throw err;
  });

  const map = new Map<string, Map<number, number>>();
  const route = (address: string, port: number, to: number) => {
    const ports = map.get(address) ?? new Map<number, number>();
    ports.set(port, to);
    map.set(address, ports);
  };
  for (const [address, port] of servers.ports) route(address, SMTP_PORT, port);
  for (const m of mtaSts)
    for (const a of addressesOf(zone, `mta-sts.${m.domain}`)) route(a, HTTPS_PORT, https.port);
  for (const [address, ports] of accessServers.ports)
    for (const [port, to] of ports) route(address, port, to);

  for (const spec of smtp) {
    const address = addressesOf(zone, spec.host)[0];
    const cert = address ? servers.certs.get(address) : undefined;
    if (spec.tlsa !== 'none' && cert) zone.records.push(...(await tlsaRecords(spec, cert, ca)));
  }
  return {
    dialer: labDialer(map),
    routes: map,
    caPem: ca.certPem,
    async close() {
      await Promise.all([servers.close(), https.close(), accessServers.close()]);
    },
  };
}

function addressesOf(zone: ZoneData, host: string): string[] {
  const name = host.toLowerCase().replace(/\.$/, '');
  const out = zone.records
    .filter((r) => r.name === name && (r.type === 'A' || r.type === 'AAAA'))
    .map((r) => r.data as string);
  if (out.length === 0)
    throw new MailcomplyError('E_LAB', `lab server ${name} has no A or AAAA record in the scenario`);
  return out;
}

async function tlsaRecords(spec: LabSmtpSpec, cert: IssuedCert, ca: LabCa): Promise<DnsRecord<'TLSA'>[]> {
  const owner = `_25._tcp.${spec.host}`;
  const rr = (data: DnsRecord<'TLSA'>['data']): DnsRecord<'TLSA'> => ({
    name: owner,
    type: 'TLSA',
    ttl: 300,
    data,
  });
  if (spec.tlsa === 'mismatch') {
    const other = await ca.issue({ names: [spec.host] });
    return [rr(tlsaFromCertificate(other.certDer, 3, 1, 1))];
  }
  const records = [rr(tlsaFromCertificate(cert.certDer, 3, 1, 1))];
  const issuer = pemBlocks(cert.chainPem)[1];
  if (spec.tlsa === 'match' && issuer) records.push(rr(tlsaFromCertificate(issuer, 2, 1, 1)));
  return records;
}

function pemBlocks(pem: string): Buffer[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (b) => new X509Certificate(b).raw,
  );
}
