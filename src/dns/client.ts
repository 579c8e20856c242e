import { randomFillSync } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import ipaddr from 'ipaddr.js';
import { DnsError } from '../core/errors.js';
import {
  DNS_DEFAULT_RETRIES,
  DNS_DEFAULT_TIMEOUT_MS,
  DNS_EDNS_UDP_SIZE,
  DNS_MAX_LABEL_LENGTH,
  DNS_MAX_NAME_LENGTH,
} from '../core/limits.js';
import { AbortHub } from './abort-hub.js';
import { formatServer, systemServers, type DnsServer } from './servers.js';
import type { DnsResult, QueryOptions, Resolver, RRType } from './types.js';
import { resultFromPacket, wireName } from './wire.js';

/** Options of `DnsClient`; every field has a sensible default. */
export interface DnsClientOptions {
  /** Servers to ask, in order; defaults to the nameservers of /etc/resolv.conf. */
  servers?: DnsServer[];
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Further attempts after the first, rotating through the servers. */
  retries?: number;
  /** EDNS0 UDP payload size advertised. */
  udpSize?: number;
}

type Family = 'udp4' | 'udp6';

interface Target {
  host: string;
  port: number;
  family: Family;
  /** host:port as reported in results and error messages. */
  label: string;
}

interface Pending {
  qname: string;
  type: RRType;
  target: Target;
  finish: (err: DnsError | null, packet?: DecodedPacket) => void;
}

interface Lane {
  family: Family;
  socket: Socket;
  inFlight: number;
}

// With this many queries outstanding on one client something is wrong upstream; refusing beats
// spinning on a nearly full 16-bit id space.
const MAX_IN_FLIGHT = 60_000;
const ID_POOL_BYTES = 4096;
const QR_BIT = 0x80;

/**
 * A stub resolver client: UDP with EDNS0 (DO and RD set), TCP when the reply is truncated,
 * per-attempt timeouts, retries across servers and AbortSignal support. One UDP socket per
 * address family is shared by all queries (ids are random and tracked), and it does not keep the
 * process alive while idle. Rcodes are returned as data; only "no usable answer" throws a DnsError.
 * @example new DnsClient({ servers: [{ host: '127.0.0.1', port: 5353 }] }).query('example.org', 'MX')
 */
export class DnsClient implements Resolver {
  private readonly targets: Target[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly udpSize: number;
  private readonly pending = new Map<number, Pending>();
  private readonly lanes: Partial<Record<Family, Lane>> = {};
  private readonly aborts = new AbortHub();
  private idPool = Buffer.alloc(0);
  private idAt = 0;

  constructor(options: DnsClientOptions = {}) {
    const servers = options.servers && options.servers.length > 0 ? options.servers : systemServers();
    this.targets = servers.map(toTarget);
    this.timeoutMs = options.timeoutMs ?? DNS_DEFAULT_TIMEOUT_MS;
    this.retries = Math.max(0, Math.floor(options.retries ?? DNS_DEFAULT_RETRIES));
    this.udpSize = options.udpSize ?? DNS_EDNS_UDP_SIZE;
  }

  /** Asks for `type` records at `name`; see `Resolver`. */
  async query<T extends RRType>(name: string, type: T, options?: QueryOptions): Promise<DnsResult<T>> {
    const signal = options?.signal;
    if (signal?.aborted) throw aborted(type);
    const qname = wireName(name);
    if (!queryableName(qname)) {
      throw new DnsError('E_DOMAIN_INVALID', `cannot send ${type} query: the name is not a valid DNS name`);
    }
    let lastError: DnsError | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const target = this.targets[attempt % this.targets.length] as Target;
      try {
        let reply = await this.udpExchange(qname, type, target, signal);
        const tcp = reply.flag_tc;
        if (tcp) reply = await this.tcpExchange(qname, type, target, signal);
        return resultFromPacket(qname, type, reply, tcp, target.label);
      } catch (err) {
        if (!(err instanceof DnsError) || err.code === 'E_DNS_ABORTED') throw err;
        lastError = err;
      }
    }
    throw lastError as DnsError;
  }

  /** Closes the shared sockets; queries still in flight fail with E_DNS_ABORTED. The client stays usable. */
  close(): void {
    for (const p of [...this.pending.values()]) {
      p.finish(new DnsError('E_DNS_ABORTED', `${p.type} query to ${p.target.label} aborted: client closed`));
    }
    for (const family of ['udp4', 'udp6'] as const) this.dropLane(family);
  }

  private udpExchange(
    qname: string,
    type: RRType,
    target: Target,
    signal?: AbortSignal,
  ): Promise<DecodedPacket> {
    return new Promise((resolve, reject) => {
      if (this.pending.size >= MAX_IN_FLIGHT) {
        reject(new DnsError('E_DNS_NETWORK', `too many DNS queries in flight to send a ${type} query`));
        return;
      }
      let lane: Lane;
      try {
        lane = this.lane(target.family);
      } catch (err) {
        reject(networkError(type, target, err));
        return;
      }
      const id = this.freeId();
      let unwatch: (() => void) | undefined;
      const finish = (err: DnsError | null, packet?: DecodedPacket): void => {
        if (this.pending.get(id) !== entry) return;
        this.pending.delete(id);
        clearTimeout(timer);
        unwatch?.();
        this.release(lane);
        if (err) reject(err);
        else resolve(packet as DecodedPacket);
      };
      const entry: Pending = { qname, type, target, finish };
      this.pending.set(id, entry);
      if (lane.inFlight++ === 0) lane.socket.ref();
      const timer = setTimeout(() => finish(timedOut(type, target, this.timeoutMs)), this.timeoutMs);
      if (signal) unwatch = this.aborts.watch(signal, () => finish(aborted(type)));
      const query = encodeQuery(id, qname, type, this.udpSize);
      try {
        lane.socket.send(query, target.port, target.host, (err) => {
          if (err) finish(networkError(type, target, err));
        });
      } catch (err) {
        finish(networkError(type, target, err));
      }
    });
  }

  private tcpExchange(
    qname: string,
    type: RRType,
    target: Target,
    signal?: AbortSignal,
  ): Promise<DecodedPacket> {
    return new Promise((resolve, reject) => {
      const id = this.nextId();
      const socket = connect({ host: target.host, port: target.port });
      socket.setNoDelay(true);
      let buffered: Buffer = Buffer.alloc(0);
      let done = false;
      let unwatch: (() => void) | undefined;
      const timer = setTimeout(() => finish(timedOut(type, target, this.timeoutMs, 'TCP')), this.timeoutMs);
      const finish = (err: DnsError | null, packet?: DecodedPacket): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unwatch?.();
        socket.destroy();
        if (err) reject(err);
        else resolve(packet as DecodedPacket);
      };
      if (signal) unwatch = this.aborts.watch(signal, () => finish(aborted(type)));
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
        if (!packet || packet.id !== id || !matchesQuestion(packet, qname, type)) {
          finish(malformed(type, target, 'TCP'));
          return;
        }
        finish(null, packet);
      });
      socket.write(encodeTcpQuery(id, qname, type, this.udpSize));
    });
  }

  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (msg.length < 12) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    // Only a response from the server that was asked can settle a query; anything else is stray.
    if (!p || rinfo.port !== p.target.port || !sameHost(rinfo.address, p.target.host)) return;
    if (((msg[2] ?? 0) & QR_BIT) === 0) return;
    const packet = decodeReply(msg);
    if (!packet) {
      p.finish(malformed(p.type, p.target, 'UDP'));
      return;
    }
    if (matchesQuestion(packet, p.qname, p.type)) p.finish(null, packet);
  };

  private lane(family: Family): Lane {
    let lane = this.lanes[family];
    if (!lane) {
      const socket = createSocket({ type: family });
      lane = { family, socket, inFlight: 0 };
      this.lanes[family] = lane;
      socket.on('message', this.onMessage);
      socket.on('error', (err) => this.failLane(family, err));
      // Idle sockets must not keep the process alive; `udpExchange` refs while queries are out.
      socket.unref();
    }
    return lane;
  }

  private release(lane: Lane): void {
    if (--lane.inFlight === 0 && this.lanes[lane.family] === lane) lane.socket.unref();
  }

  private failLane(family: Family, err: Error): void {
    for (const p of [...this.pending.values()]) {
      if (p.target.family === family) p.finish(networkError(p.type, p.target, err));
    }
    this.dropLane(family);
  }

  private dropLane(family: Family): void {
    const lane = this.lanes[family];
    if (!lane) return;
    delete this.lanes[family];
    lane.socket.removeAllListeners('message');
    // Keep an error listener: a late socket error must not become an uncaught exception.
    lane.socket.on('error', () => undefined);
    try {
      lane.socket.close();
    } catch {
      // Already closed.
    }
  }

  /** A random id not used by any query in flight (unpredictable ids resist spoofed answers). */
  private freeId(): number {
    for (;;) {
      const id = this.nextId();
      if (!this.pending.has(id)) return id;
    }
  }

  private nextId(): number {
    if (this.idAt + 2 > this.idPool.length) {
      this.idPool = randomFillSync(Buffer.allocUnsafe(ID_POOL_BYTES));
      this.idAt = 0;
    }
    const id = this.idPool.readUInt16BE(this.idAt);
    this.idAt += 2;
    return id;
  }
}

function toTarget(server: DnsServer): Target {
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

function sameHost(from: string, host: string): boolean {
  if (from === host) return true;
  // Scope ids may or may not be reported on link-local sources.
  return from.split('%')[0] === host.split('%')[0];
}

/** Lengths only: any octet may appear in a DNS label, but the wire format caps label and name size. */
function queryableName(qname: string): boolean {
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

function encodeQuery(id: number, qname: string, type: RRType, udpSize: number): Buffer {
  return dnsPacket.encode(queryPacket(id, qname, type, udpSize));
}

function encodeTcpQuery(id: number, qname: string, type: RRType, udpSize: number): Buffer {
  return dnsPacket.streamEncode(queryPacket(id, qname, type, udpSize));
}

function decodeReply(bytes: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(bytes);
  } catch {
    return undefined;
  }
}

function matchesQuestion(packet: DecodedPacket, qname: string, type: RRType): boolean {
  const q = packet.questions?.[0];
  return q !== undefined && (q.type as string) === type && wireName(q.name) === qname;
}

function aborted(type: RRType): DnsError {
  return new DnsError('E_DNS_ABORTED', `${type} query aborted`);
}

function timedOut(type: RRType, target: Target, ms: number, via = 'UDP'): DnsError {
  return new DnsError(
    'E_DNS_TIMEOUT',
    `no ${via} answer to ${type} query from ${target.label} within ${ms} ms`,
  );
}

function malformed(type: RRType, target: Target, via: string): DnsError {
  return new DnsError('E_DNS_MALFORMED', `undecodable ${via} reply to ${type} query from ${target.label}`);
}

function networkError(type: RRType, target: Target, err: unknown, via = 'UDP'): DnsError {
  const code = (err as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? code : 'socket error';
  return new DnsError('E_DNS_NETWORK', `${via} ${type} query to ${target.label} failed: ${why}`, {
    cause: err,
  });
}
