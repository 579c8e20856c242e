import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import type { DecodedPacket, Packet, RecordType } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePresentation } from '../dns/presentation.js';
import { ZoneIndex } from '../dns/zone-data.js';
import { startLabDns, type LabDnsServer } from './dns-server.js';

const records = parsePresentation(
  `
  @     MX  10 mx
  mx    A   127.0.0.1
  alias CNAME mx
  big   TXT ${Array.from({ length: 4 }, () => `"${'y'.repeat(200)}"`).join(' ')}
  `,
  'lab.example',
);

let lab: LabDnsServer;

beforeAll(async () => {
  lab = await startLabDns(
    new ZoneIndex({ records, signedZones: ['lab.example'], failures: { 'junk.lab.example': 'malformed' } }),
  );
});

afterAll(async () => {
  await lab?.close();
});

interface QueryOptions {
  edns?: { size: number; do: boolean };
  ad?: boolean;
  flags?: number;
}

function queryPacket(name: string, type: RecordType, o: QueryOptions = {}): Packet {
  return {
    type: 'query',
    id: 4242,
    flags: (o.flags ?? dnsPacket.RECURSION_DESIRED) | (o.ad ? dnsPacket.AUTHENTIC_DATA : 0),
    questions: [{ type, name, class: 'IN' }],
    additionals: o.edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: o.edns.size,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: o.edns.do ? dnsPacket.DNSSEC_OK : 0,
            flag_do: o.edns.do,
            options: [],
          },
        ]
      : [],
  };
}

function udpExchange(message: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => done(undefined), timeoutMs);
    function done(reply: Buffer | undefined): void {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    }
    socket.on('message', (msg) => done(msg));
    socket.send(message, lab.port, lab.host);
  });
}

async function udp(name: string, type: RecordType, o: QueryOptions = {}): Promise<DecodedPacket> {
  const reply = await udpExchange(dnsPacket.encode(queryPacket(name, type, o)));
  if (!reply) throw new Error('no reply');
  return dnsPacket.decode(reply);
}

/** Sends raw bytes over one TCP connection; resolves with every framed reply and whether the server closed. */
function tcpExchange(bytes: Buffer, expectReplies: number): Promise<{ replies: Buffer[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: lab.host, port: lab.port });
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        replies.push(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
      }
      if (replies.length >= expectReplies) {
        socket.destroy();
        resolve({ replies, closed: false });
      }
    });
    socket.on('close', () => resolve({ replies, closed: true }));
    socket.write(bytes);
  });
}

describe('lab DNS server', () => {
  it('listens on the same port for UDP and TCP on loopback', async () => {
    expect(lab.host).toBe('127.0.0.1');
    expect(lab.port).toBeGreaterThan(0);
    const { replies } = await tcpExchange(dnsPacket.streamEncode(queryPacket('lab.example', 'MX')), 1);
    expect(dnsPacket.decode(replies[0] as Buffer).answers?.[0]).toMatchObject({ type: 'MX' });
  });

  it('answers like a recursive resolver: RA set, RD echoed, id and question kept', async () => {
    const r = await udp('Lab.Example', 'MX');
    expect(r.id).toBe(4242);
    expect(r.flag_qr).toBe(true);
    expect(r.flag_ra).toBe(true);
    expect(r.flag_rd).toBe(true);
    expect(r.questions?.[0]).toMatchObject({ name: 'Lab.Example', type: 'MX' });
    expect(r.answers?.[0]).toMatchObject({
      name: 'lab.example',
      data: { preference: 10, exchange: 'mx.lab.example' },
    });
  });

  it('puts the CNAME chain before the answers', async () => {
    const r = await udp('alias.lab.example', 'A');
    expect(r.answers?.map((a) => a.type)).toEqual(['CNAME', 'A']);
  });

  it('sets AD under a signed zone only when the query has DO or AD', async () => {
    expect((await udp('lab.example', 'MX')).flag_ad).toBe(false);
    expect((await udp('lab.example', 'MX', { edns: { size: 1232, do: false } })).flag_ad).toBe(false);
    expect((await udp('lab.example', 'MX', { edns: { size: 1232, do: true } })).flag_ad).toBe(true);
    expect((await udp('lab.example', 'MX', { ad: true })).flag_ad).toBe(true);
    const nx = await udp('none.lab.example', 'A', { edns: { size: 1232, do: true } });
    expect((nx as { rcode?: string }).rcode).toBe('NXDOMAIN');
    expect(nx.flag_ad).toBe(true);
    const outside = await udp('elsewhere.test', 'A', { edns: { size: 1232, do: true } });
    expect(outside.flag_ad).toBe(false);
  });

  it('mirrors the EDNS OPT record, DO bit included, and omits it for plain DNS queries', async () => {
    const withDo = await udp('lab.example', 'MX', { edns: { size: 1232, do: true } });
    const opt = withDo.additionals?.find((a) => a.type === 'OPT');
    expect(opt).toMatchObject({ type: 'OPT', flag_do: true });
    const without = await udp('lab.example', 'MX', { edns: { size: 1232, do: false } });
    expect(without.additionals?.find((a) => a.type === 'OPT')).toMatchObject({ flag_do: false });
    const plain = await udp('lab.example', 'MX');
    expect(plain.additionals ?? []).toEqual([]);
  });

  it('truncates UDP answers over the client payload size (512 without EDNS) and serves them over TCP', async () => {
    const plain = await udp('big.lab.example', 'TXT');
    expect(plain.flag_tc).toBe(true);
    expect(plain.answers ?? []).toEqual([]);
    const small = await udp('big.lab.example', 'TXT', { edns: { size: 600, do: true } });
    expect(small.flag_tc).toBe(true);
    const large = await udp('big.lab.example', 'TXT', { edns: { size: 4096, do: true } });
    expect(large.flag_tc).toBe(false);
    expect(large.answers).toHaveLength(1);
    const { replies } = await tcpExchange(dnsPacket.streamEncode(queryPacket('big.lab.example', 'TXT')), 1);
    const viaTcp = dnsPacket.decode(replies[0] as Buffer);
    expect(viaTcp.flag_tc).toBe(false);
    expect(viaTcp.answers).toHaveLength(1);
  });

  it('answers several queries sent at once on one TCP connection', async () => {
    const bytes = Buffer.concat([
      dnsPacket.streamEncode(queryPacket('lab.example', 'MX')),
      dnsPacket.streamEncode(queryPacket('mx.lab.example', 'A')),
    ]);
    const { replies } = await tcpExchange(bytes, 2);
    expect(replies.map((r) => dnsPacket.decode(r).answers?.[0]?.type)).toEqual(['MX', 'A']);
  });

  it('replies to the malformed failure mode with bytes that keep the id but do not decode', async () => {
    const reply = await udpExchange(dnsPacket.encode(queryPacket('junk.lab.example', 'TXT')));
    expect(reply).toBeDefined();
    expect((reply as Buffer).readUInt16BE(0)).toBe(4242);
    expect(() => dnsPacket.decode(reply as Buffer)).toThrow();
  });

  it('ignores garbage and responses over UDP, and keeps serving', async () => {
    const before = lab.queries();
    expect(await udpExchange(Buffer.from([1, 2, 3]), 150)).toBeUndefined();
    const response = dnsPacket.encode({ ...queryPacket('lab.example', 'MX'), type: 'response' });
    expect(await udpExchange(response, 150)).toBeUndefined();
    expect(lab.queries()).toBe(before);
    expect((await udp('lab.example', 'MX')).answers).toHaveLength(1);
  });

  it('closes a TCP connection that sends garbage', async () => {
    const junk = Buffer.from([0, 3, 1, 2, 3]);
    const { replies, closed } = await tcpExchange(junk, 1);
    expect(replies).toEqual([]);
    expect(closed).toBe(true);
  });

  it('answers FORMERR to a query without a question and NOTIMP to other opcodes', async () => {
    const noQuestion = dnsPacket.encode({ type: 'query', id: 7, flags: 0, questions: [] });
    const r1 = dnsPacket.decode((await udpExchange(noQuestion)) as Buffer);
    expect((r1 as { rcode?: string }).rcode).toBe('FORMERR');
    const notify = dnsPacket.encode({ ...queryPacket('lab.example', 'SOA'), flags: 4 << 11 });
    const r2 = dnsPacket.decode((await udpExchange(notify)) as Buffer);
    expect((r2 as { rcode?: string }).rcode).toBe('NOTIMP');
  });

  it('counts queries', async () => {
    const before = lab.queries();
    await udp('lab.example', 'MX');
    await udp('mx.lab.example', 'A');
    expect(lab.queries()).toBe(before + 2);
  });
});

describe('lab DNS server lifecycle', () => {
  it('binds a fixed port for both protocols and frees it on close', async () => {
    const first = await startLabDns({ records, signedZones: [] });
    const port = first.port;
    await first.close();
    await first.close(); // idempotent
    const again = await startLabDns({ records, signedZones: [] }, { port });
    expect(again.port).toBe(port);
    await again.close();
  });

  it('fails with E_LAB when the port is taken', async () => {
    const first = await startLabDns({ records, signedZones: [] });
    await expect(startLabDns({ records, signedZones: [] }, { port: first.port })).rejects.toMatchObject({
      code: 'E_LAB',
    });
    await first.close();
  });

  it('close() ends open TCP connections', async () => {
    const server = await startLabDns({ records, signedZones: [] });
    const socket = connect({ host: server.host, port: server.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    await server.close();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});

describe('lab DNS server under hostile input', () => {
  it('survives random and mutated datagrams, then answers normally', async () => {
    const valid = dnsPacket.encode(queryPacket('lab.example', 'MX', { edns: { size: 1232, do: true } }));
    const inputs = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => Buffer.from(b)),
        fc
          .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 6,
          })
          .map((edits) => {
            const copy = Buffer.from(valid);
            for (const [at, value] of edits) copy[at] = value;
            return copy;
          }),
      ),
      { numRuns: 400, seed: 7 },
    );
    const socket = createSocket('udp4');
    socket.on('message', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    await Promise.all(
      inputs.map(
        (bytes) => new Promise<void>((resolve) => socket.send(bytes, lab.port, lab.host, () => resolve())),
      ),
    );
    socket.close();
    const r = await udp('lab.example', 'MX');
    expect(r.answers).toHaveLength(1);
    // Over TCP the server answers or hangs up; either way it keeps serving.
    await tcpExchange(Buffer.concat(inputs.slice(0, 5).map((b) => framed(b))), 1);
    expect((await udp('mx.lab.example', 'A')).answers).toHaveLength(1);
  });
});

function framed(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length + 2);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}
