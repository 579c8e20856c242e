import { randomFillSync } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { DecodedPacket } from 'dns-packet';
import { DnsError } from '../core/errors.js';
import {
  DNS_DEFAULT_RETRIES,
  DNS_DEFAULT_TIMEOUT_MS,
  DNS_EDNS_UDP_SIZE,
  DNS_UDP_MAX_SOCKETS,
  DNS_UDP_QUERIES_PER_SOCKET,
  DNS_UDP_RECV_BUFFER_BYTES,
} from '../core/limits.js';
import { AbortHub } from './abort-hub.js';
import {
  aborted,
  decodeReply,
  encodeQuery,
  malformed,
  matchesQuestion,
  networkError,
  queryableName,
  sameHost,
  tcpExchange,
  timedOut,
  toTarget,
  type Target,
} from './exchange.js';
import { systemServers, type DnsServer } from './servers.js';
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

interface Pending {
  qname: string;
  type: RRType;
  target: Target;
  lane: Lane;
  finish: (err: DnsError | null, packet?: DecodedPacket) => void;
}

/** One UDP socket connected to one server, and the queries waiting on it. */
interface Lane {
  key: string;
  socket: Socket;
  inFlight: number;
  connected: boolean;
  /** Queries written before the socket finished connecting. */
  backlog: { bytes: Buffer; onError: (err: unknown) => void }[];
}

// With this many queries outstanding on one client something is wrong upstream; refusing beats
// spinning on a nearly full 16-bit id space.
const MAX_IN_FLIGHT = 60_000;
const ID_POOL_BYTES = 4096;
const QR_BIT = 0x80;

/**
 * A stub resolver client: UDP with EDNS0 (DO and RD set), TCP when the reply is truncated,
 * per-attempt timeouts, retries across servers and AbortSignal support. Queries share a few UDP
 * sockets per server (ids are random and tracked, as real stub resolvers do), and idle sockets do
 * not keep the process alive; `close()` releases them. Rcodes are returned as data; only "no
 * usable answer" throws a DnsError.
 * @example new DnsClient({ servers: [{ host: '127.0.0.1', port: 5353 }] }).query('example.org', 'MX')
 */
export class DnsClient implements Resolver {
  private readonly targets: Target[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly udpSize: number;
  private readonly pending = new Map<number, Pending>();
  private readonly lanes = new Map<string, Lane[]>();
  private readonly aborts = new AbortHub();
  private idPool = Buffer.alloc(0);
  private idAt = 0;

  constructor(options: DnsClientOptions = {}) {
    const servers = options.servers && options.servers.length > 0 ? options.servers : systemServers();
    this.targets = servers.map(toTarget);
    this.timeoutMs = Math.max(1, options.timeoutMs ?? DNS_DEFAULT_TIMEOUT_MS);
    this.retries = Math.max(0, Math.floor(options.retries ?? DNS_DEFAULT_RETRIES));
    // RFC 6891 §6.2.5: sizes below 512 are treated as 512.
    this.udpSize = Math.min(65_535, Math.max(512, options.udpSize ?? DNS_EDNS_UDP_SIZE));
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
      if (signal?.aborted) throw aborted(type);
      const target = this.targets[attempt % this.targets.length] as Target;
      try {
        let reply = await this.udpExchange(qname, type, target, signal);
        const tcp = reply.flag_tc;
        if (tcp) {
          const watchAbort = signal ? (cb: () => void) => this.aborts.watch(signal, cb) : undefined;
          const id = this.nextId();
          const { timeoutMs, udpSize } = this;
          reply = await tcpExchange({ id, qname, type, target, timeoutMs, udpSize, watchAbort });
        }
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
      p.finish(aborted(p.type, 'client closed'));
    }
    for (const lanes of [...this.lanes.values()]) for (const lane of [...lanes]) this.dropLane(lane);
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
        lane = this.lane(target);
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
      const entry: Pending = { qname, type, target, lane, finish };
      this.pending.set(id, entry);
      if (lane.inFlight++ === 0) lane.socket.ref();
      const timer = setTimeout(() => finish(timedOut(type, target, this.timeoutMs)), this.timeoutMs);
      if (signal) unwatch = this.aborts.watch(signal, () => finish(aborted(type)));
      const bytes = encodeQuery(id, qname, type, this.udpSize);
      const onError = (err: unknown): void => finish(networkError(type, target, err));
      if (lane.connected) send(lane.socket, bytes, onError);
      else lane.backlog.push({ bytes, onError });
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

  /**
   * A socket to `target` with room for one more query. Sockets are connected (the kernel then
   * drops datagrams from anyone else, reports ICMP errors, and sends faster), and bursts are spread
   * over several of them because each has its own receive buffer: hundreds of replies landing on
   * one socket while the event loop is busy would overflow it and surface as timeouts.
   */
  private lane(target: Target): Lane {
    let lanes = this.lanes.get(target.label);
    if (!lanes) {
      lanes = [];
      this.lanes.set(target.label, lanes);
    }
    let quietest: Lane | undefined;
    for (const lane of lanes) {
      if (lane.inFlight < DNS_UDP_QUERIES_PER_SOCKET) return lane;
      if (!quietest || lane.inFlight < quietest.inFlight) quietest = lane;
    }
    if (quietest && lanes.length >= DNS_UDP_MAX_SOCKETS) return quietest;
    const socket = createSocket({ type: target.family });
    const lane: Lane = { key: target.label, socket, inFlight: 0, connected: false, backlog: [] };
    lanes.push(lane);
    socket.on('message', this.onMessage);
    socket.on('error', (err) => this.failLane(lane, err));
    socket.connect(target.port, target.host, () => {
      lane.connected = true;
      try {
        socket.setRecvBufferSize(DNS_UDP_RECV_BUFFER_BYTES);
      } catch {
        // The kernel may refuse or cap it (rmem_max); the default buffer still works.
      }
      const backlog = lane.backlog;
      lane.backlog = [];
      for (const q of backlog) send(socket, q.bytes, q.onError);
    });
    // Idle sockets must not keep the process alive; `udpExchange` refs while queries are out.
    socket.unref();
    return lane;
  }

  private release(lane: Lane): void {
    if (--lane.inFlight === 0) lane.socket.unref();
  }

  private failLane(lane: Lane, err: Error): void {
    for (const p of [...this.pending.values()]) {
      if (p.lane === lane) p.finish(networkError(p.type, p.target, err));
    }
    this.dropLane(lane);
  }

  private dropLane(lane: Lane): void {
    const lanes = this.lanes.get(lane.key);
    const at = lanes ? lanes.indexOf(lane) : -1;
    if (!lanes || at < 0) return;
    lanes.splice(at, 1);
    if (lanes.length === 0) this.lanes.delete(lane.key);
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

function send(socket: Socket, bytes: Buffer, onError: (err: unknown) => void): void {
  try {
    socket.send(bytes, (err) => {
      if (err) onError(err);
    });
  } catch (err) {
    // Thrown synchronously when the socket was closed underneath us.
    onError(err);
  }
}
