import { createSocket, type Socket } from 'node:dgram';
import { getEventListeners } from 'node:events';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDns, type LabDnsServer } from '../lab/dns-server.js';
import { DnsClient } from './client.js';
import { parsePresentation } from './presentation.js';
import type { DnsRecord } from './types.js';

const BIG_TXT = Array.from(
  { length: 20 },
  (_, i) => `"${String(i).padStart(2, '0')}${'x'.repeat(198)}"`,
).join(' ');

const SIGNED = parsePresentation(
  `
  @        MX     10 mx1
  @        MX     20 mx2.other.example.
  mx1      A      127.0.0.1
  mx1      AAAA   ::1
  @        TXT    "v=spf1 mx " "-all"
  @        SPF    "v=spf1 -all"
  @        NS     ns1
  @        SOA    ns1 hostmaster 2026010101 3600 600 86400 300
  _25._tcp.mx1 TLSA 3 1 1 0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef
  @        DS     12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE
  @        DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0d xCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
  www      CNAME  web
  web      CNAME  host.other.example.
  big      TXT    ${BIG_TXT}
  empty.deep A    127.0.0.2
  `,
  'signed.example',
);
const OTHER = parsePresentation(
  `
  host     A      127.0.0.3
  mx2      A      127.0.0.4
  `,
  'other.example',
);

let lab: LabDnsServer;
let client: DnsClient;

beforeAll(async () => {
  lab = await startLabDns({
    records: [...SIGNED, ...OTHER],
    signedZones: ['signed.example'],
    failures: {
      'slow.signed.example': 'timeout',
      'broken.signed.example': 'servfail',
      'refuse.signed.example': 'refused',
      'junk.signed.example': 'malformed',
    },
  });
  client = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 1000, retries: 0 });
});

afterAll(async () => {
  client?.close();
  await lab?.close();
});

function only<T extends DnsRecord>(records: T[]): T {
  expect(records).toHaveLength(1);
  return records[0] as T;
}

describe('DnsClient against the lab resolver', () => {
  it('answers A and AAAA with the AD bit on the signed zone', async () => {
    const a = await client.query('MX1.Signed.Example.', 'A');
    expect(a).toMatchObject({
      name: 'mx1.signed.example',
      type: 'A',
      rcode: 'NOERROR',
      ad: true,
      tcp: false,
    });
    expect(a.server).toBe(`127.0.0.1:${lab.port}`);
    expect(only(a.answers)).toEqual({ name: 'mx1.signed.example', type: 'A', ttl: 300, data: '127.0.0.1' });
    const aaaa = await client.query('mx1.signed.example', 'AAAA');
    expect(only(aaaa.answers).data).toBe('::1');
  });

  it('sets AD only under signed zones', async () => {
    const r = await client.query('host.other.example', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.ad).toBe(false);
    expect(only(r.answers).data).toBe('127.0.0.3');
  });

  it('decodes MX, TXT, SPF, NS and SOA', async () => {
    const mx = await client.query('signed.example', 'MX');
    expect(mx.answers.map((r) => r.data)).toEqual([
      { preference: 10, exchange: 'mx1.signed.example' },
      { preference: 20, exchange: 'mx2.other.example' },
    ]);
    const txt = await client.query('signed.example', 'TXT');
    expect(only(txt.answers).data).toEqual({ text: 'v=spf1 mx -all', strings: ['v=spf1 mx ', '-all'] });
    const spf = await client.query('signed.example', 'SPF');
    expect(only(spf.answers)).toMatchObject({
      type: 'SPF',
      data: { text: 'v=spf1 -all', strings: ['v=spf1 -all'] },
    });
    const ns = await client.query('signed.example', 'NS');
    expect(only(ns.answers).data).toBe('ns1.signed.example');
    const soa = await client.query('signed.example', 'SOA');
    expect(only(soa.answers).data).toEqual({
      mname: 'ns1.signed.example',
      rname: 'hostmaster.signed.example',
      serial: 2026010101,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 300,
    });
  });

  it('decodes TLSA, DS and DNSKEY', async () => {
    const tlsa = await client.query('_25._tcp.mx1.signed.example', 'TLSA');
    expect(only(tlsa.answers).data).toEqual({
      usage: 3,
      selector: 1,
      matchingType: 1,
      data: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    });
    const ds = await client.query('signed.example', 'DS');
    expect(only(ds.answers).data).toEqual({
      keyTag: 12345,
      algorithm: 13,
      digestType: 2,
      digest: '49fd46e6c4b45c55d4ac69cbd3cd34ac1afe51de',
    });
    const key = await client.query('signed.example', 'DNSKEY');
    expect(only(key.answers).data).toEqual({
      flags: 257,
      protocol: 3,
      algorithm: 13,
      publicKey: 'mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==',
    });
  });

  it('follows a CNAME chain and reports it', async () => {
    const r = await client.query('www.signed.example', 'A');
    expect(r.cnames.map((c) => [c.name, c.data])).toEqual([
      ['www.signed.example', 'web.signed.example'],
      ['web.signed.example', 'host.other.example'],
    ]);
    expect(only(r.answers)).toMatchObject({ name: 'host.other.example', data: '127.0.0.3' });
    // The chain leaves the signed zone, so the answer as a whole is not authenticated.
    expect(r.ad).toBe(false);
    const direct = await client.query('www.signed.example', 'CNAME');
    expect(direct.cnames).toEqual([]);
    expect(only(direct.answers).data).toBe('web.signed.example');
  });

  it('tells NXDOMAIN from NODATA and empty non-terminals', async () => {
    const nx = await client.query('nowhere.signed.example', 'A');
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', answers: [], ad: true });
    const nodata = await client.query('mx1.signed.example', 'MX');
    expect(nodata).toMatchObject({ rcode: 'NOERROR', answers: [] });
    const ent = await client.query('deep.signed.example', 'A');
    expect(ent).toMatchObject({ rcode: 'NOERROR', answers: [] });
  });

  it('retries over TCP when the UDP answer is truncated (4 KB TXT)', async () => {
    const r = await client.query('big.signed.example', 'TXT');
    expect(r.tcp).toBe(true);
    const txt = only(r.answers).data;
    expect(txt.strings).toHaveLength(20);
    expect(txt.text.length).toBe(4000);
    expect(txt.strings[19]).toBe(`19${'x'.repeat(198)}`);
  });

  it('returns SERVFAIL and REFUSED as rcodes, not errors', async () => {
    await expect(client.query('broken.signed.example', 'TXT')).resolves.toMatchObject({
      rcode: 'SERVFAIL',
      answers: [],
      ad: false,
    });
    await expect(client.query('refuse.signed.example', 'TXT')).resolves.toMatchObject({
      rcode: 'REFUSED',
      answers: [],
    });
  });

  it('throws E_DNS_MALFORMED for a reply that does not decode, over UDP and TCP', async () => {
    const c = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 1000, retries: 1 });
    const err = await c.query('junk.signed.example', 'TXT').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DnsError', code: 'E_DNS_MALFORMED' });
    expect(String((err as Error).message)).toContain(`127.0.0.1:${lab.port}`);
    expect(String((err as Error).message)).toContain('TXT');
    c.close();
  });

  it('times out per attempt and retries the given number of times', async () => {
    const c = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 100, retries: 2 });
    const before = lab.queries();
    const t0 = performance.now();
    const err = await c.query('slow.signed.example', 'A').catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    expect(err).toMatchObject({ code: 'E_DNS_TIMEOUT' });
    expect(String((err as Error).message)).toContain('100 ms');
    expect(lab.queries() - before).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    c.close();
  });

  it('refuses names that cannot be put on the wire, without sending', async () => {
    const before = lab.queries();
    await expect(client.query(`${'a'.repeat(64)}.example`, 'A')).rejects.toMatchObject({
      code: 'E_DOMAIN_INVALID',
    });
    await expect(client.query('a..example', 'A')).rejects.toMatchObject({ code: 'E_DOMAIN_INVALID' });
    expect(lab.queries()).toBe(before);
  });
});

describe('DnsClient over IPv6 loopback', () => {
  it('queries a lab resolver on ::1, over UDP and TCP', async () => {
    const lab6 = await startLabDns({ records: SIGNED, signedZones: ['signed.example'] }, { host: '::1' });
    const c = new DnsClient({ servers: [{ host: '0:0:0:0:0:0:0:1', port: lab6.port }], timeoutMs: 1000 });
    const r = await c.query('mx1.signed.example', 'A');
    expect(r).toMatchObject({ rcode: 'NOERROR', ad: true, server: `[0:0:0:0:0:0:0:1]:${lab6.port}` });
    expect(r.answers.map((a) => a.data)).toEqual(['127.0.0.1']);
    const big = await c.query('big.signed.example', 'TXT');
    expect(big.tcp).toBe(true);
    c.close();
    await lab6.close();
  });
});

describe('DnsClient abort', () => {
  it('rejects at once when the signal is already aborted, without sending', async () => {
    const before = lab.queries();
    const ac = new AbortController();
    ac.abort();
    await expect(client.query('mx1.signed.example', 'A', { signal: ac.signal })).rejects.toMatchObject({
      code: 'E_DNS_ABORTED',
    });
    expect(lab.queries()).toBe(before);
  });

  it('rejects at once when the signal aborts mid-query', async () => {
    const c = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 10_000, retries: 3 });
    const ac = new AbortController();
    const before = lab.queries();
    const t0 = performance.now();
    const pending = c.query('slow.signed.example', 'A', { signal: ac.signal });
    await until(() => lab.queries() > before);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'E_DNS_ABORTED' });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    c.close();
  });

  it('fails queries in flight when the client is closed, and works again afterwards', async () => {
    const c = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 10_000, retries: 0 });
    const before = lab.queries();
    const pending = c.query('slow.signed.example', 'A');
    await until(() => lab.queries() > before);
    c.close();
    await expect(pending).rejects.toMatchObject({ code: 'E_DNS_ABORTED' });
    await expect(c.query('mx1.signed.example', 'A')).resolves.toMatchObject({ rcode: 'NOERROR' });
    c.close();
  });
});

describe('DnsClient with misbehaving servers', () => {
  let fake: Socket;
  let fakePort: number;
  let mode: 'wrong-id-then-right' | 'wrong-question-then-right' | 'upper-case' | 'truncate' | 'silent' =
    'silent';

  beforeAll(async () => {
    fake = createSocket('udp4');
    fake.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const question = q.questions?.[0];
      if (!question) return;
      const reply = (over: Partial<dnsPacket.Packet>): void => {
        const packet = dnsPacket.encode({
          type: 'response',
          id: q.id,
          flags: dnsPacket.RECURSION_AVAILABLE,
          questions: [question],
          answers: [{ type: 'A', name: question.name, ttl: 60, data: '127.0.0.9' }],
          ...over,
        });
        fake.send(packet, rinfo.port, rinfo.address);
      };
      if (mode === 'wrong-id-then-right') {
        reply({
          id: ((q.id ?? 0) + 1) & 0xffff,
          answers: [{ type: 'A', name: question.name, data: '127.0.0.66' }],
        });
        reply({});
      } else if (mode === 'wrong-question-then-right') {
        reply({ questions: [{ ...question, name: `x.${question.name}` }] });
        reply({ questions: [{ ...question, type: 'AAAA' }] });
        reply({});
      } else if (mode === 'upper-case') {
        reply({
          questions: [{ ...question, name: question.name.toUpperCase() }],
          answers: [{ type: 'A', name: question.name.toUpperCase(), ttl: 60, data: '127.0.0.9' }],
        });
      } else if (mode === 'truncate') {
        reply({ flags: dnsPacket.TRUNCATED_RESPONSE, answers: [] });
      }
    });
    await new Promise<void>((resolve) => fake.bind(0, '127.0.0.1', resolve));
    fakePort = fake.address().port;
  });

  afterAll(() => {
    fake?.close();
  });

  const fakeClient = (retries = 0): DnsClient =>
    new DnsClient({ servers: [{ host: '127.0.0.1', port: fakePort }], timeoutMs: 300, retries });

  it('ignores a reply with the wrong id and takes the right one', async () => {
    mode = 'wrong-id-then-right';
    const c = fakeClient();
    const r = await c.query('a.example', 'A');
    expect(r.answers.map((x) => x.data)).toEqual(['127.0.0.9']);
    c.close();
  });

  it('ignores replies to a different question', async () => {
    mode = 'wrong-question-then-right';
    const c = fakeClient();
    const r = await c.query('b.example', 'A');
    expect(r.answers.map((x) => x.data)).toEqual(['127.0.0.9']);
    c.close();
  });

  it('matches the question case-insensitively', async () => {
    mode = 'upper-case';
    const c = fakeClient();
    const r = await c.query('mixed.example', 'A');
    expect(r.answers.map((x) => x.name)).toEqual(['mixed.example']);
    c.close();
  });

  it('times out when only silence comes back', async () => {
    mode = 'silent';
    const c = fakeClient();
    await expect(c.query('c.example', 'A')).rejects.toMatchObject({ code: 'E_DNS_TIMEOUT' });
    c.close();
  });

  it('reports E_DNS_NETWORK when the TCP retry cannot connect', async () => {
    mode = 'truncate';
    const c = fakeClient();
    await expect(c.query('d.example', 'A')).rejects.toMatchObject({ code: 'E_DNS_NETWORK' });
    c.close();
  });

  it('reports E_DNS_NETWORK at once when nothing listens on the port (ICMP port unreachable)', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const closedPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const c = new DnsClient({
      servers: [{ host: '127.0.0.1', port: closedPort }],
      timeoutMs: 10_000,
      retries: 1,
    });
    const t0 = performance.now();
    const err = await c.query('e.example', 'A').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DNS_NETWORK' });
    expect(String((err as Error).message)).toContain('ECONNREFUSED');
    expect(performance.now() - t0).toBeLessThan(5000);
    c.close();
  });

  it('rotates to the next server on retry', async () => {
    mode = 'silent';
    const c = new DnsClient({
      servers: [
        { host: '127.0.0.1', port: fakePort },
        { host: lab.host, port: lab.port },
      ],
      timeoutMs: 200,
      retries: 1,
    });
    const r = await c.query('mx1.signed.example', 'A');
    expect(r.server).toBe(`127.0.0.1:${lab.port}`);
    expect(r.answers.map((x) => x.data)).toEqual(['127.0.0.1']);
    c.close();
  });
});

describe('DnsClient resources', () => {
  it('runs 2,000 queries without piling up handles or listeners', async () => {
    const c = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 2000, retries: 1 });
    const ac = new AbortController();
    await c.query('mx1.signed.example', 'A');
    await settle();
    const baseline = handleCounts();
    const names = ['mx1.signed.example', 'signed.example', 'nowhere.signed.example', 'www.signed.example'];
    const types = ['A', 'MX', 'TXT', 'A'] as const;
    // Bursts of 400 need more than one socket per server: the extra ones must not linger either.
    for (let batch = 0; batch < 5; batch++) {
      const inFlight = Array.from({ length: 400 }, (_, i) =>
        c.query(names[i % 4] as string, types[i % 4] as 'A', { signal: ac.signal }),
      );
      // One shared listener for all queries on a signal, not one each.
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      const results = await Promise.all(inFlight);
      expect(results.every((r) => r.rcode === 'NOERROR' || r.rcode === 'NXDOMAIN')).toBe(true);
    }
    await settle();
    const after = handleCounts();
    expect(after.UDPWrap ?? 0).toBeLessThanOrEqual(baseline.UDPWrap ?? 0);
    expect(after.TCPWrap ?? 0).toBeLessThanOrEqual(baseline.TCPWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(baseline.Timeout ?? 0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    c.close();
  });

  it('keeps the process free to exit when idle (socket unreferenced)', async () => {
    const c = new DnsClient({ servers: [{ host: lab.host, port: lab.port }], timeoutMs: 2000 });
    await settle();
    const before = handleCounts().UDPWrap ?? 0;
    await c.query('mx1.signed.example', 'A');
    await settle();
    // getActiveResourcesInfo lists only referenced handles: an idle client adds none.
    expect(handleCounts().UDPWrap ?? 0).toBe(before);
    c.close();
  });
});

function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setImmediate(resolve));
}
