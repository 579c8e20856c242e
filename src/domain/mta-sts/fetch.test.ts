import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MTA_STS_MAX_POLICY_BYTES } from '../../core/limits.js';
import type { DnsRecord } from '../../dns/types.js';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import { createLabCa, type LabCa } from '../../lab/ca.js';
import { labDialer } from '../../lab/dialer.js';
import {
  endless,
  serve,
  startPolicyHttps,
  type PolicyHttps,
  type PolicySite,
} from '../../../test/unit/support/policy-https.js';
import { fetchMtaStsPolicy, mediaType, type MtaStsFetchFailure, type MtaStsFetchResult } from './fetch.js';

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx.good.test\r\nmax_age: 604800\r\n';

const SITES: Record<string, PolicySite> = {
  good: { handle: serve(POLICY) },
  charset: { handle: serve(POLICY, 'text/plain; charset=utf-8') },
  redirect: {
    handle: (_req, res) => res.writeHead(301, { location: 'https://elsewhere.test/policy.txt' }).end(),
  },
  'not-found': { handle: serve('no such thing', 'text/plain', 404) },
  html: { handle: serve(`<html>${POLICY}</html>`, 'text/html') },
  'no-type': { handle: (_req, res) => res.writeHead(200).end(POLICY) },
  'declared-oversize': {
    handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': MTA_STS_MAX_POLICY_BYTES + 1 });
      res.write(POLICY);
    },
  },
  'chunked-oversize': { handle: serve(POLICY + 'x'.repeat(MTA_STS_MAX_POLICY_BYTES)) },
  endless: { handle: endless('a'.repeat(1024)) },
  trickle: { handle: endless('a', 40) },
  stall: { handle: () => undefined },
  'wrong-name': { cert: 'wrong-name', handle: serve(POLICY) },
  'self-signed': { cert: 'self-signed', handle: serve(POLICY) },
  expired: { cert: 'expired', handle: serve(POLICY) },
  binary: { handle: serve(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28]), 'text/plain') },
  'second-address': { handle: serve(POLICY) },
};

const host = (name: string) => `mta-sts.${name}.test`;

let ca: LabCa;
let https: PolicyHttps;
let silent: Server;
const silentSockets = new Set<Socket>();
let resolver: MemoryResolver;
let dialer: ReturnType<typeof labDialer>;

function a(name: string, address: string): DnsRecord {
  return { name, type: 'A', ttl: 300, data: address };
}

beforeAll(async () => {
  ca = await createLabCa();
  https = await startPolicyHttps(Object.fromEntries(Object.entries(SITES).map(([k, v]) => [host(k), v])), ca);
  // Accepts TCP and never speaks: a TLS handshake that never completes.
  silent = createNetServer((s) => {
    // Reads and drops the ClientHello, so the client's close is noticed and this side closes too.
    s.resume();
    silentSockets.add(s);
    s.on('close', () => silentSockets.delete(s));
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const records: DnsRecord[] = Object.keys(SITES)
    .filter((k) => k !== 'second-address')
    .map((k) => a(host(k), '127.0.0.2'));
  records.push(a(host('second-address'), '127.0.0.9'), a(host('second-address'), '127.0.0.2'));
  records.push(a(host('no-tls'), '127.0.0.3'), a(host('refused'), '127.0.0.4'));
  records.push({ name: host('nodata'), type: 'TXT', ttl: 300, data: { text: 'x', strings: ['x'] } });
  resolver = new MemoryResolver({ records, signedZones: [], failures: { [host('servfail')]: 'servfail' } });
  dialer = labDialer(
    new Map([
      ['127.0.0.2', new Map([[443, https.port]])],
      ['127.0.0.3', new Map([[443, (silent.address() as AddressInfo).port]])],
    ]),
  );
});

afterAll(async () => {
  await https?.close();
  for (const s of silentSockets) s.destroy();
  silent?.close();
});

function fetchFor(name: string, o: { timeoutMs?: number; signal?: AbortSignal; ca?: string[] } = {}) {
  return fetchMtaStsPolicy(`${name}.test`, { resolver, dialer, ca: o.ca ?? [ca.certPem], ...o });
}

function failed(r: MtaStsFetchResult): MtaStsFetchFailure {
  if (r.ok) throw new Error('expected the fetch to fail');
  return r;
}

describe('fetchMtaStsPolicy', () => {
  it('fetches a policy served correctly, with the certificate and address', async () => {
    const r = await fetchFor('good');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.text).toBe(POLICY);
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('text/plain');
    expect(r.address).toBe('127.0.0.2');
    expect(r.url).toBe('https://mta-sts.good.test/.well-known/mta-sts.txt');
    expect(r.certificate?.subjectAltNames).toContain('mta-sts.good.test');
    expect(r.invalidUtf8).toBe(false);
    expect(https.requests).toContain('mta-sts.good.test /.well-known/mta-sts.txt');
  });

  it('accepts text/plain with parameters', async () => {
    const r = await fetchFor('charset');
    expect(r.ok && r.contentType).toBe('text/plain; charset=utf-8');
  });

  it('does not follow redirects', async () => {
    const r = failed(await fetchFor('redirect'));
    expect(r).toMatchObject({ stage: 'redirect', status: 301, incomplete: false });
    expect(r.reason).toMatch(/elsewhere\.test/);
    expect(https.requests.filter((q) => q.startsWith('elsewhere'))).toEqual([]);
  });

  it('reports a non-200 status', async () => {
    expect(failed(await fetchFor('not-found'))).toMatchObject({ stage: 'http', status: 404 });
  });

  it.each(['html', 'no-type'])('requires text/plain (%s)', async (name) => {
    expect(failed(await fetchFor(name))).toMatchObject({ stage: 'content-type', status: 200 });
  });

  it.each(['declared-oversize', 'chunked-oversize', 'endless'])(
    'stops at the size limit (%s)',
    async (name) => {
      const r = failed(await fetchFor(name));
      expect(r.stage).toBe('size');
      expect(r.incomplete).toBe(false);
    },
  );

  it('gives up on a body trickling in past the deadline', async () => {
    const t0 = Date.now();
    const r = failed(await fetchFor('trickle', { timeoutMs: 400 }));
    expect(r).toMatchObject({ stage: 'http', incomplete: true });
    expect(r.reason).toMatch(/timed out after 400 ms/);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('gives up on a server that never answers the request', async () => {
    expect(failed(await fetchFor('stall', { timeoutMs: 300 }))).toMatchObject({
      stage: 'http',
      incomplete: true,
    });
  });

  it('gives up on a TLS handshake that never completes', async () => {
    expect(failed(await fetchFor('no-tls', { timeoutMs: 300 }))).toMatchObject({
      stage: 'tls',
      incomplete: true,
    });
  });

  it('rejects a certificate for another name', async () => {
    const r = failed(await fetchFor('wrong-name'));
    expect(r).toMatchObject({ stage: 'tls', incomplete: false });
    expect(r.reason).toMatch(/not valid for mta-sts\.wrong-name\.test/);
    expect(r.certificate?.subjectAltNames).toEqual(['www.wrong-name.test']);
  });

  it.each(['self-signed', 'expired'])('rejects an untrusted certificate (%s)', async (name) => {
    const r = failed(await fetchFor(name));
    expect(r.stage).toBe('tls');
    expect(r.reason).toMatch(/not trusted/);
  });

  it('trusts only the system store unless extra roots are given', async () => {
    const r = failed(await fetchFor('good', { ca: [] }));
    expect(r.stage).toBe('tls');
  });

  it('flags a body that is not UTF-8', async () => {
    const r = await fetchFor('binary');
    expect(r.ok && r.invalidUtf8).toBe(true);
  });

  it('tries the next address when one refuses', async () => {
    const r = await fetchFor('second-address');
    expect(r.ok && r.address).toBe('127.0.0.2');
  });

  it('reports refused connections as a definite failure', async () => {
    const r = failed(await fetchFor('refused'));
    expect(r).toMatchObject({ stage: 'connect', incomplete: false });
    expect(r.reason).toMatch(/127\.0\.0\.4 port 443: refused/);
  });

  it('tells a missing host from a resolver failure', async () => {
    expect(failed(await fetchFor('missing'))).toMatchObject({ stage: 'dns', incomplete: false });
    expect(failed(await fetchFor('missing')).reason).toMatch(/NXDOMAIN/);
    expect(failed(await fetchFor('nodata')).reason).toMatch(/no A or AAAA/);
    expect(failed(await fetchFor('servfail'))).toMatchObject({ stage: 'dns', incomplete: true });
  });

  it('stops at once when the caller aborts', async () => {
    const ac = new AbortController();
    const pending = fetchFor('stall', { signal: ac.signal, timeoutMs: 5_000 });
    setTimeout(() => ac.abort(), 50);
    const r = failed(await pending);
    expect(r).toMatchObject({ incomplete: true, reason: 'aborted' });
    const pre = new AbortController();
    pre.abort();
    expect(failed(await fetchFor('good', { signal: pre.signal }))).toMatchObject({
      stage: 'dns',
      reason: 'aborted',
    });
  });

  it('leaves no socket or timer behind after hostile servers', async () => {
    const count = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r === 'TCPSocketWrap' || r === 'Timeout' || r === 'TLSWrap').length;
    await new Promise((r) => setImmediate(r));
    const before = count();
    const names = [
      'good',
      'redirect',
      'endless',
      'chunked-oversize',
      'wrong-name',
      'stall',
      'no-tls',
      'trickle',
    ];
    for (let i = 0; i < 3; i++) await Promise.all(names.map((n) => fetchFor(n, { timeoutMs: 200 })));
    // Server-side sockets close a moment after the client's; wait for the count to settle, never for a fixed time.
    let after = count();
    for (let tries = 0; tries < 100 && after > before; tries++) {
      await new Promise((r) => setTimeout(r, 10));
      after = count();
    }
    expect(after).toBeLessThanOrEqual(before);
  });
});

describe('mediaType', () => {
  it.each([
    ['text/plain', 'text/plain'],
    ['Text/Plain ; charset=UTF-8', 'text/plain'],
    ['', ''],
    [undefined, ''],
  ])('%j → %j', (input, want) => {
    expect(mediaType(input)).toBe(want);
  });
});
