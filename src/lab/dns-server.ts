import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, OptAnswer, Packet } from 'dns-packet';
import { MailcomplyError } from '../core/errors.js';
import {
  DNS_EDNS_UDP_SIZE,
  DNS_UDP_RECV_BUFFER_BYTES,
  LAB_DNS_BIND_ATTEMPTS,
  LAB_DNS_TCP_IDLE_MS,
} from '../core/limits.js';
import type { RRType } from '../dns/types.js';
import { toPacketAnswer } from '../dns/wire.js';
import { ZoneIndex, type FailureMode, type ZoneData } from '../dns/zone-data.js';

/** A running lab resolver. */
export interface LabDnsServer {
  host: string;
  port: number;
  /** Queries received so far (UDP and TCP, well-formed ones only). */
  queries(): number;
  close(): Promise<void>;
}

/** What a name answers, computed once per (name, type): the zone data never changes while serving. */
interface Prepared {
  rcode: number;
  ad: boolean;
  answers: Answer[];
  failure?: FailureMode;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const CLASSIC_UDP_LIMIT = 512;
const MAX_TCP_MESSAGE = 65_535;
// Bounds memory when hostile or random names are queried; the lab's own names fit many times over.
const PREPARED_CACHE_LIMIT = 200_000;
/**
 * Bytes that do not decode but carry the query id, so a client can attribute them: a header
 * announcing one question followed by a compression pointer that points forward (illegal).
 */
const MALFORMED_BODY = Buffer.from([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 0xff]);

/**
 * Starts the lab resolver on UDP and TCP (same port) on loopback. It answers like a recursive,
 * validating resolver from the zone data (RA set, CNAME chain plus answers, AD under signed zones
 * when the query has DO or AD), plays the zone's failure modes, and truncates UDP replies that
 * exceed the client's EDNS size so clients retry over TCP. Bad queries are ignored, never fatal.
 * @example const dns = await startLabDns(scenario.zone); // dns.port was chosen by the OS
 */
export async function startLabDns(
  zone: ZoneData | ZoneIndex,
  opts: { host?: string; port?: number } = {},
): Promise<LabDnsServer> {
  const index = zone instanceof ZoneIndex ? zone : new ZoneIndex(zone);
  const host = opts.host ?? '127.0.0.1';
  const engine = new Engine(index);
  const { udp, tcp } = await bindBoth(host, opts.port ?? 0, engine);
  const address = udp.address();
  let closing: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    queries: () => engine.count,
    close() {
      closing ??= Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => {
          tcp.close(() => resolve());
          for (const s of engine.connections) s.destroy();
        }),
      ]).then(() => undefined);
      return closing;
    },
  };
}

class Engine {
  count = 0;
  readonly connections = new Set<Socket>();
  private readonly prepared = new Map<string, Prepared>();

  constructor(private readonly index: ZoneIndex) {}

  /** The reply to one query message, `null` for "stay silent", `undefined` when it must be dropped. */
  answer(message: Buffer, tcp: boolean): Buffer | null | undefined {
    try {
      return this.reply(message, tcp);
    } catch {
      // Hostile queries can make decoding or re-encoding throw; the lab must keep serving.
      return undefined;
    }
  }

  private reply(message: Buffer, tcp: boolean): Buffer | null | undefined {
    const query = dnsPacket.decode(message);
    if (query.flag_qr) return undefined; // a response sent to us: never answer it (reflection loops)
    this.count++;
    const question = query.questions?.[0];
    const opt = query.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
    const base = (query.flags ?? 0) & (dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED);
    const flags = base | dnsPacket.RECURSION_AVAILABLE;
    const reply: Packet = { type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [] };
    if (opt) reply.additionals = [ednsReply(opt)];
    if (!question || query.questions?.length !== 1) return this.encode(reply, RCODE.FORMERR);
    if (((query.flags ?? 0) >> 11) & 0xf) return this.encode(reply, RCODE.NOTIMP); // opcode other than QUERY
    const found = this.lookup(question.name, question.type as string);
    if (found.failure === 'timeout') return null;
    if (found.failure === 'malformed') {
      const bytes = Buffer.concat([Buffer.alloc(2), MALFORMED_BODY]);
      bytes.writeUInt16BE(query.id ?? 0, 0);
      return bytes;
    }
    const wantsAd = opt?.flag_do === true || query.flag_ad;
    reply.answers = found.answers;
    const encoded = this.encode(reply, found.rcode | (found.ad && wantsAd ? dnsPacket.AUTHENTIC_DATA : 0));
    const limit = tcp ? MAX_TCP_MESSAGE : Math.max(CLASSIC_UDP_LIMIT, opt?.udpPayloadSize ?? 0);
    if (encoded.length <= limit) return encoded;
    reply.answers = [];
    return this.encode(reply, found.rcode | dnsPacket.TRUNCATED_RESPONSE);
  }

  private encode(reply: Packet, extraFlags: number): Buffer {
    return dnsPacket.encode({ ...reply, flags: (reply.flags ?? 0) | extraFlags });
  }

  private lookup(name: string, type: string): Prepared {
    const key = `${type} ${name.toLowerCase()}`;
    let p = this.prepared.get(key);
    if (!p) {
      const found = this.index.lookup(name, type as RRType);
      const failure = found.failure;
      const rcode =
        failure === 'refused'
          ? RCODE.REFUSED
          : failure
            ? RCODE.SERVFAIL
            : (RCODE as Record<string, number>)[found.rcode];
      const answers = failure ? [] : [...found.cnames, ...found.answers].map(toPacketAnswer);
      p = {
        rcode: rcode ?? RCODE.SERVFAIL,
        ad: found.ad && !failure,
        answers,
        ...(failure ? { failure } : {}),
      };
      if (this.prepared.size >= PREPARED_CACHE_LIMIT) this.prepared.clear();
      this.prepared.set(key, p);
    }
    return p;
  }
}

function ednsReply(opt: OptAnswer): OptAnswer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: DNS_EDNS_UDP_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: opt.flag_do ? dnsPacket.DNSSEC_OK : 0,
    flag_do: opt.flag_do,
    options: [],
  };
}

async function bindBoth(
  host: string,
  port: number,
  engine: Engine,
): Promise<{ udp: UdpSocket; tcp: Server }> {
  const attempts = port === 0 ? LAB_DNS_BIND_ATTEMPTS : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const udp = await bindUdp(host, port, engine).catch((err: unknown) => {
      lastError = err;
      return undefined;
    });
    if (!udp) continue;
    try {
      // With port 0 the OS picked the UDP port; TCP must share it, which can collide, hence retries.
      const tcp = await listenTcp(host, udp.address().port, engine);
      return { udp, tcp };
    } catch (err) {
      lastError = err;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
  const code = (lastError as { code?: string } | undefined)?.code ?? 'unknown error';
  throw new MailcomplyError('E_LAB', `lab DNS server cannot listen on ${host} port ${port}: ${code}`, {
    cause: lastError,
  });
}

function bindUdp(host: string, port: number, engine: Engine): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', reject);
      try {
        // A scan sends bursts of hundreds of queries; the default buffer would drop some.
        socket.setRecvBufferSize(DNS_UDP_RECV_BUFFER_BYTES);
        socket.setSendBufferSize(DNS_UDP_RECV_BUFFER_BYTES);
      } catch {
        // Capped or refused by the kernel: the default buffers still work.
      }
      // Errors after binding (e.g. ICMP-induced send failures) are the client's problem, not ours.
      socket.on('error', () => undefined);
      socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
        const reply = engine.answer(msg, false);
        if (reply) socket.send(reply, rinfo.port, rinfo.address);
      });
      resolve(socket);
    });
  });
}

function listenTcp(host: string, port: number, engine: Engine): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true }, (socket) => serveConnection(socket, engine));
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

function serveConnection(socket: Socket, engine: Engine): void {
  engine.connections.add(socket);
  socket.setTimeout(LAB_DNS_TCP_IDLE_MS, () => socket.destroy());
  socket.on('close', () => engine.connections.delete(socket));
  socket.on('error', () => socket.destroy());
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      const message = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      const reply = engine.answer(message, true);
      if (reply === undefined) {
        socket.destroy();
        return;
      }
      if (reply === null) continue;
      const framed = Buffer.allocUnsafe(reply.length + 2);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      socket.write(framed);
    }
  });
}
