import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { Answer, RecordType } from 'dns-packet';

/** Where a DNS server listens. */
export interface Endpoint {
  host: string;
  port: number;
}

/** What one raw UDP query saw: header flags and the answer section, nothing interpreted. */
export interface RawAnswer {
  rcode: string;
  ad: boolean;
  aa: boolean;
  answers: Answer[];
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/**
 * One UDP query with the DO bit, independent of the project's resolver client, so the stack can be
 * checked on its own and the client can be checked against it.
 */
export function rawQuery(
  server: Endpoint,
  name: string,
  type: RecordType,
  options: { recursion?: boolean; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: options.recursion === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: dnsPacket.DNSSEC_OK,
        flag_do: true,
        options: [],
      },
    ],
  });
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${server.host}:${server.port} for ${name} ${type}`)),
      options.timeoutMs ?? 1000,
    );
    function finish(err: Error | null, value?: RawAnswer): void {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(value as RawAnswer);
    }
    socket.on('error', (err) => finish(err));
    socket.on('message', (msg) => {
      let decoded;
      try {
        decoded = dnsPacket.decode(msg);
      } catch {
        return; // not ours or garbage: keep waiting for the real answer until the timer fires
      }
      if (decoded.id !== id) return;
      const code = (decoded.flags ?? 0) & 0xf;
      finish(null, {
        rcode: RCODES[code] ?? `RCODE${code}`,
        ad: decoded.flag_ad,
        aa: decoded.flag_aa,
        answers: decoded.answers ?? [],
      });
    });
    socket.send(query, server.port, server.host);
  });
}

/** Answer data in master-file form for the types the scenarios use (TXT strings quoted, names absolute). */
export function rdataText(answer: Answer): string {
  switch (answer.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return answer.data;
    case 'MX':
      return `${answer.data.preference} ${answer.data.exchange}`;
    case 'TXT': {
      const parts = Array.isArray(answer.data) ? answer.data : [answer.data];
      return parts.map((p) => `"${p.toString()}"`).join(' ');
    }
    default:
      return `(${answer.type})`;
  }
}
