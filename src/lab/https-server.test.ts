import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabCa, type LabCa } from './ca.js';
import { labDialer } from './dialer.js';
import {
  LAB_HTTPS_BEHAVIOURS,
  LAB_OVERSIZE_BYTES,
  LAB_REDIRECT_PATH,
  MTA_STS_POLICY_PATH,
  defaultLabPolicy,
  startLabHttps,
  type LabHttps,
  type LabHttpsBehaviour,
} from './https-server.js';
import { LAB_WRONG_NAME } from './tls-profiles.js';

const BEHAVIOURS = LAB_HTTPS_BEHAVIOURS;
const hostOf = (b: LabHttpsBehaviour) => `mta-sts.${b}.example.test`;
const addressOf = (b: LabHttpsBehaviour) => `127.0.0.${60 + BEHAVIOURS.indexOf(b)}`;
const POLICY = 'version: STSv1\r\nmode: testing\r\nmx: mx1.policy.example.test\r\nmax_age: 86400\r\n';

interface Fetched {
  res: IncomingMessage;
  body: Buffer;
  tls: TLSSocket;
  /** True when the body was cut short by the test's own limit. */
  truncated: boolean;
}

describe('startLabHttps', () => {
  let ca: LabCa;
  let lab: LabHttps;
  const sockets: Socket[] = [];

  /** GET through the lab dialer (mta-sts address, port 443) with node https, trusting the lab root. */
  async function get(b: LabHttpsBehaviour, path = MTA_STS_POLICY_PATH, limit = 1 << 20): Promise<Fetched> {
    const dialer = labDialer(new Map([[addressOf(b), new Map([[443, lab.port]])]]));
    const raw = await dialer.connect(addressOf(b), 443, { timeoutMs: 2_000 });
    sockets.push(raw);
    const tls = tlsConnect({ socket: raw, servername: hostOf(b), ca: ca.certPem, rejectUnauthorized: false });
    sockets.push(tls);
    const req = request({ host: hostOf(b), path, method: 'GET', createConnection: () => tls });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    await new Promise<void>((resolve, reject) => {
      res.on('data', (d: Buffer) => {
        chunks.push(d);
        size += d.length;
        if (size > limit) {
          truncated = true;
          res.destroy();
          resolve();
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    return { res, body: Buffer.concat(chunks), tls, truncated };
  }

  beforeAll(async () => {
    ca = await createLabCa();
    lab = await startLabHttps(
      BEHAVIOURS.map((behaviour) => ({
        host: hostOf(behaviour),
        behaviour,
        policy: behaviour === 'policy' ? POLICY : undefined,
      })),
      ca,
    );
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await lab.close();
  });

  it('policy: serves the given text as text/plain with a certificate for the host', async () => {
    const r = await get('policy');
    expect(r.tls.authorized).toBe(true);
    expect(r.tls.getPeerCertificate().subjectaltname).toBe('DNS:mta-sts.policy.example.test');
    expect(r.res.statusCode).toBe(200);
    expect(r.res.headers['content-type']).toBe('text/plain');
    expect(r.body.toString()).toBe(POLICY);
  });

  it('policy: answers 404 for any other path', async () => {
    expect((await get('policy', '/')).res.statusCode).toBe(404);
  });

  it('redirect: 301 elsewhere, where a client that follows would find a policy', async () => {
    const r = await get('redirect');
    expect(r.res.statusCode).toBe(301);
    expect(r.res.headers.location).toBe(`https://${hostOf('redirect')}${LAB_REDIRECT_PATH}`);
    const followed = await get('redirect', LAB_REDIRECT_PATH);
    expect(followed.res.statusCode).toBe(200);
    expect(followed.body.toString()).toBe(defaultLabPolicy(hostOf('redirect')));
  });

  it('oversize: a chunked text/plain body well past 64 KiB that starts like a policy', async () => {
    const r = await get('oversize');
    expect(r.res.statusCode).toBe(200);
    expect(r.res.headers['content-length']).toBeUndefined();
    expect(r.truncated).toBe(false);
    expect(r.body.length).toBeGreaterThanOrEqual(LAB_OVERSIZE_BYTES);
    expect(
      r.body.toString().startsWith('version: STSv1\r\nmode: enforce\r\nmx: *.oversize.example.test\r\n'),
    ).toBe(true);
  });

  it('wrong-content-type: the policy, labelled text/html', async () => {
    const r = await get('wrong-content-type');
    expect(r.res.statusCode).toBe(200);
    expect(r.res.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body.toString()).toBe(defaultLabPolicy(hostOf('wrong-content-type')));
  });

  it('endless: keeps streaming until the client hangs up', async () => {
    const limit = 2 * LAB_OVERSIZE_BYTES;
    const r = await get('endless', MTA_STS_POLICY_PATH, limit);
    expect(r.res.statusCode).toBe(200);
    expect(r.truncated).toBe(true);
    expect(r.body.length).toBeGreaterThan(limit);
  });

  it('endless: answers HEAD with headers only', async () => {
    const dialer = labDialer(new Map([[addressOf('endless'), new Map([[443, lab.port]])]]));
    const raw = await dialer.connect(addressOf('endless'), 443, { timeoutMs: 2_000 });
    const tls = tlsConnect({ socket: raw, servername: hostOf('endless'), ca: ca.certPem });
    sockets.push(raw, tls);
    const req = request({
      host: hostOf('endless'),
      path: MTA_STS_POLICY_PATH,
      method: 'HEAD',
      createConnection: () => tls,
    });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();
    await once(res, 'end');
    expect(res.statusCode).toBe(200);
  });

  it('binary: random bytes labelled text/plain', async () => {
    const r = await get('binary');
    expect(r.res.headers['content-type']).toBe('text/plain');
    expect(r.body.length).toBe(4096);
    expect(r.body.toString('latin1')).not.toMatch(/^version: STSv1/);
    const again = await get('binary');
    expect(again.body.equals(r.body)).toBe(false);
  });

  it('not-found: 404 for the policy', async () => {
    expect((await get('not-found')).res.statusCode).toBe(404);
  });

  it('wrong-cert: a valid chain for another name', async () => {
    const r = await get('wrong-cert');
    expect(r.tls.authorized).toBe(false);
    expect(String(r.tls.authorizationError)).toMatch(/ALTNAME/);
    expect(r.tls.getPeerCertificate().subjectaltname).toBe(`DNS:${LAB_WRONG_NAME}`);
    expect(lab.certs.get(hostOf('wrong-cert'))?.certPem).toBeDefined();
    expect(r.res.statusCode).toBe(200);
  });

  it('serves an unknown name a default certificate and a 421', async () => {
    const raw = netConnect({ host: '127.0.0.1', port: lab.port });
    sockets.push(raw);
    await once(raw, 'connect');
    const tls = tlsConnect({
      socket: raw,
      servername: 'mta-sts.unknown.example.test',
      ca: ca.certPem,
      rejectUnauthorized: false,
    });
    sockets.push(tls);
    await once(tls, 'secureConnect');
    expect(tls.getPeerCertificate().subjectaltname).not.toContain('unknown');
    const req = request({
      host: 'mta-sts.unknown.example.test',
      path: MTA_STS_POLICY_PATH,
      createConnection: () => tls,
    });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(421);
  });
});

describe('startLabHttps definitions', () => {
  it('rejects two sites for one host', async () => {
    const ca = await createLabCa();
    const site = { host: 'mta-sts.a.example.test', behaviour: 'policy' as const };
    await expect(
      startLabHttps([site, { ...site, host: 'MTA-STS.a.example.test.' }], ca),
    ).rejects.toMatchObject({
      code: 'E_LAB',
    });
  });
});

/** Sockets, servers and timers open now beyond those in `before` (which other suites may have left). */
function extraHandles(before: string[]): string[] {
  const left = [...before];
  return process
    .getActiveResourcesInfo()
    .filter((r) => /TCP|Timeout|TLS|Pipe/.test(r))
    .filter((h) => {
      const i = left.indexOf(h);
      if (i < 0) return true;
      left.splice(i, 1);
      return false;
    });
}

describe('LabHttps.close', () => {
  it('leaves nothing open, whatever state the clients are in', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => /TCP|Timeout|TLS|Pipe/.test(r));
    const ca = await createLabCa();
    const lab = await startLabHttps(
      [
        { host: 'mta-sts.a.example.test', behaviour: 'endless' },
        { host: 'mta-sts.b.example.test', behaviour: 'policy' },
      ],
      ca,
    );
    const connectRaw = async () => {
      const raw = netConnect({ host: '127.0.0.1', port: lab.port });
      await once(raw, 'connect');
      return raw;
    };
    const clients: Socket[] = [];
    // 1. Mid-handshake: half a ClientHello record header, then silence.
    const stalled = await connectRaw();
    stalled.write(Buffer.from([0x16, 0x03, 0x01, 0x02]));
    clients.push(stalled);
    // 2. An endless response the client has stopped reading (the server is blocked on backpressure).
    const tls = tlsConnect({
      socket: await connectRaw(),
      servername: 'mta-sts.a.example.test',
      ca: ca.certPem,
    });
    await once(tls, 'secureConnect');
    const req = request({
      host: 'mta-sts.a.example.test',
      path: MTA_STS_POLICY_PATH,
      createConnection: () => tls,
    });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.statusCode).toBe(200);
    res.pause();
    clients.push(tls);
    // 3. An idle keep-alive connection after a complete exchange.
    const idle = tlsConnect({
      socket: await connectRaw(),
      servername: 'mta-sts.b.example.test',
      ca: ca.certPem,
    });
    await once(idle, 'secureConnect');
    const req2 = request({
      host: 'mta-sts.b.example.test',
      path: MTA_STS_POLICY_PATH,
      createConnection: () => idle,
    });
    req2.setHeader('Connection', 'keep-alive');
    req2.end();
    const [res2] = (await once(req2, 'response')) as [IncomingMessage];
    res2.resume();
    await once(res2, 'end');
    clients.push(idle);
    // 4. Connected, never spoke.
    clients.push(await connectRaw());
    clients.forEach((c) => c.on('error', () => undefined));
    expect(extraHandles(before).length).toBeGreaterThan(4);

    const closed = clients.map((s) => (s.destroyed ? Promise.resolve() : once(s, 'close')));
    await lab.close();
    // The paused client only notices the server has gone once it reads again.
    res.resume();
    await Promise.all(closed);
    expect(extraHandles(before)).toEqual([]);
  });
});
