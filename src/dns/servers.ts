import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError } from '../core/errors.js';

/** A DNS server to send queries to: an IP address (v4 or v6) and a port. */
export interface DnsServer {
  host: string;
  port: number;
}

const DNS_PORT = 53;
const FALLBACK: DnsServer = { host: '127.0.0.1', port: DNS_PORT };

/**
 * Parses `127.0.0.1`, `127.0.0.1:5353`, `::1` or `[::1]:5353` (port 53 by default).
 * @throws UsageError naming the bad value.
 * @example parseServer('[::1]:5353') // { host: '::1', port: 5353 }
 */
export function parseServer(spec: string): DnsServer {
  const s = spec.trim();
  const bad = (why: string): never => {
    throw new UsageError(`invalid DNS server "${s.slice(0, 80)}": ${why}`);
  };
  let host = s;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (isIP(host) !== 6) bad('brackets must hold an IPv6 address');
  } else if ((s.match(/:/g) ?? []).length === 1) {
    // Exactly one colon: IPv4 (or a name) with a port. More colons mean a bare IPv6 address.
    const at = s.indexOf(':');
    host = s.slice(0, at);
    portText = s.slice(at + 1);
  }
  if (isIP(host) === 0) bad('expected an IPv4 or IPv6 address, optionally with :port');
  let port = DNS_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) bad('the port must be a number from 1 to 65535');
    port = Number(portText);
    if (port < 1 || port > 65_535) bad('the port must be a number from 1 to 65535');
  }
  return { host, port };
}

/** host:port, with brackets around IPv6 hosts so the result parses back with `parseServer`. */
export function formatServer(server: DnsServer): string {
  return server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/**
 * The `nameserver` entries of a resolv.conf file, in order; 127.0.0.1:53 when the file is
 * missing or names none (the glibc default).
 */
export function systemServers(path = '/etc/resolv.conf'): DnsServer[] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return [{ ...FALLBACK }];
  }
  const servers: DnsServer[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m?.[1]) continue;
    const host = m[1];
    // resolv.conf has no port syntax; entries that are not addresses are skipped like glibc does.
    if (isIP(host) !== 0) servers.push({ host, port: DNS_PORT });
  }
  return servers.length > 0 ? servers : [{ ...FALLBACK }];
}
