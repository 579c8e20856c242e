import { connect, isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import ipaddr from 'ipaddr.js';
import { DnsError } from '../core/errors.js';
import { DNS_MAX_LABEL_LENGTH, DNS_MAX_NAME_LENGTH } from '../core/limits.js';
import { formatServer, type DnsServer } from './servers.js';
import type { RRType } from './types.js';
import { wireName } from './wire.js';

/** The UDP socket type a server needs. */
export type Family = 'udp4' | 'udp6';

/** A server prepared for the hot path: canonical host text for matching replies, a label for messages. */
export interface Target {
  host: string;
  port: number;
  family: Family;
  /** host:port as reported in results and error messages. */
  label: string;
}

/** What one query needs to go out over TCP. */
export interface TcpQuery {
  id: number;
  qname: string;
  type: RRType;
  target: Target;
  timeoutMs: number;
  udpSize: number;
  /** Registers an abort callback and returns the function that unregisters it. */
  watchAbort?: (onAbort: () => void) => () => void;
}

/** Prepares a server for queries. */
export function toTarget(server: DnsServer): Target {
  const v6 = isIPv6(server.host.split('%')[0] ?? '');
  // Canonical text lets replies (whose source address Node prints canonically) be matched.
  const host = v6 && ipaddr.IPv6.isValid(server.host) ? canonicalV6(server.host) : server.host;
  return { host, port: server.port, family: v6 ? 'udp6' : 'udp4', label: formatServer(server) };
}

function canonicalV6(host: string): string {
  const [address, zone] = host.split('%');
  const text = ipaddr.IPv6.parse(address ?? '').toString();
  return zone ? `${text}%${zone}` : text;
}

/** Whether a datagram's source address is the target's host (scope ids may or may not be reported). */
export function sameHost(from: string, host: string): boolean {
  return from === host || from.split('%')[0] === host.split('%')[0];
}

/** Lengths only: any octet may appear in a DNS label, but the wire format caps label and name size. */
export function queryableName(qname: string): boolean {
  if (qname === '') return true;
  if (Buffer.byteLength(qname) > DNS_MAX_NAME_LENGTH) return false;
  for (const label of qname.split('.')) {
    if (label.length === 0 || Buffer.byteLength(label) > DNS_MAX_LABEL_LENGTH) return false;
  }
  return true;
}

function queryPacket(id: number, qname: string, type: RRType, udpSize: number): dnsPacket.Packet {
  return {
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as dnsPacket.RecordType, name: qname === '' ? '.' : qname, class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: udpSize,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: dnsPacket.DNSSEC_OK,
        flag_do: true,
        options: [],
      },
    ],
  };
}

/** A query message: RD set, EDNS0 OPT with the DO bit and our UDP payload size. */
export function encodeQuery(id: number, qname: string, type: RRType, udpSize: number): Buffer {
  return dnsPacket.encode(queryPacket(id, qname, type, udpSize));
}

/** Decodes a reply, or undefined when the bytes are not a DNS message. */
export function decodeReply(bytes: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Whether the reply's question is ours (name compared case-insensitively). */
export function matchesQuestion(packet: DecodedPacket, qname: string, type: RRType): boolean {
  const q = packet.questions?.[0];
  return q !== undefined && (q.type as string) === type && wireName(q.name) === qname;
}

/** Sends one query over a fresh TCP connection (RFC 7766 framing) and resolves with the reply. */
export function tcpExchange(q: TcpQuery): Promise<DecodedPacket> {
  const { id, qname, type, target, timeoutMs } = q;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => finish(timedOut(type, target, timeoutMs, 'TCP')), timeoutMs);
    const finish = (err: DnsError | null, packet?: DecodedPacket): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unwatch?.();
      socket.destroy();
      if (err) reject(err);
      else resolve(packet as DecodedPacket);
    };
    const unwatch = q.watchAbort?.(() => finish(aborted(type)));
    socket.on('error', (err) => finish(networkError(type, target, err, 'TCP')));
    socket.on('close', () =>
      finish(
        new DnsError('E_DNS_NETWORK', `TCP connection to ${target.label} closed before the ${type} reply`),
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      const packet = decodeReply(buffered.subarray(2, 2 + length));
      // On a connection of our own a mismatched reply is a broken server, not a stray packet.
      if (!packet || packet.id !== id || !matchesQuestion(packet, qname, type)) {
        finish(malformed(type, target, 'TCP'));
        return;
      }
      finish(null, packet);
    });
    socket.write(dnsPacket.streamEncode(queryPacket(id, qname, type, q.udpSize)));
  });
}

/** E_DNS_ABORTED for a query of `type`. */
export function aborted(type: RRType, why = ''): DnsError {
  return new DnsError('E_DNS_ABORTED', `${type} query aborted${why ? `: ${why}` : ''}`);
}

/** E_DNS_TIMEOUT naming the type, server and timeout. */
export function timedOut(type: RRType, target: Target, ms: number, via = 'UDP'): DnsError {
  return new DnsError(
    'E_DNS_TIMEOUT',
    `no ${via} answer to ${type} query from ${target.label} within ${ms} ms`,
  );
}

/** E_DNS_MALFORMED naming the type and server. */
export function malformed(type: RRType, target: Target, via: string): DnsError {
  return new DnsError('E_DNS_MALFORMED', `undecodable ${via} reply to ${type} query from ${target.label}`);
}

/** E_DNS_NETWORK with the system error code (never the query name). */
export function networkError(type: RRType, target: Target, err: unknown, via = 'UDP'): DnsError {
  const code = (err as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? code : 'socket error';
  return new DnsError('E_DNS_NETWORK', `${via} ${type} query to ${target.label} failed: ${why}`, {
    cause: err,
  });
}
