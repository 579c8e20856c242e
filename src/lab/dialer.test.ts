import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialError } from '../core/dialer.js';
import { labDialer } from './dialer.js';

describe('labDialer', () => {
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    // Greets each connection with the address it was dialled as, so a test sees where it landed.
    server = createServer((s) => {
      accepted.push(s);
      s.end(`hello ${s.localAddress} ${s.localPort}\n`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    accepted.forEach((s) => s.destroy());
    await new Promise((r) => server.close(r));
  });

  const read = async (s: Socket) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    await once(s, 'end');
    s.destroy();
    return Buffer.concat(chunks).toString();
  };

  it('connects a mapped address and port to the loopback port', async () => {
    const dialer = labDialer(new Map([['127.0.0.25', new Map([[25, port]])]]));
    const s = await dialer.connect('127.0.0.25', 25, { timeoutMs: 1_000 });
    expect(s.remotePort).toBe(port);
    expect(await read(s)).toBe(`hello 127.0.0.1 ${port}\n`);
  });

  it('refuses an unmapped address or port at once, as a closed port would', async () => {
    const dialer = labDialer(new Map([['127.0.0.25', new Map([[25, port]])]]));
    const refused = (p: Promise<Socket>) =>
      expect(p).rejects.toSatisfy((e) => e instanceof DialError && e.reason === 'refused');
    const before = accepted.length;
    await refused(dialer.connect('127.0.0.26', 25, { timeoutMs: 1_000 }));
    await refused(dialer.connect('127.0.0.25', 443, { timeoutMs: 1_000 }));
    // A real listener at that very address and port: only a dialer that never dials refuses it.
    await refused(dialer.connect('127.0.0.1', port, { timeoutMs: 1_000 }));
    expect(accepted.length).toBe(before);
  });

  it('matches IPv6 addresses in any spelling, and names without regard to case or root dot', async () => {
    const dialer = labDialer(
      new Map([
        ['0:0:0:0:0:0:0:1', new Map([[25, port]])],
        ['MTA-STS.Example.test', new Map([[443, port]])],
      ]),
    );
    expect(await read(await dialer.connect('::1', 25, { timeoutMs: 1_000 }))).toContain('hello');
    expect(await read(await dialer.connect('[0::1]', 25, { timeoutMs: 1_000 }))).toContain('hello');
    expect(await read(await dialer.connect('mta-sts.example.test.', 443, { timeoutMs: 1_000 }))).toContain(
      'hello',
    );
  });

  it('sees entries added to the map after it was made', async () => {
    const map = new Map<string, Map<number, number>>();
    const dialer = labDialer(map);
    await expect(dialer.connect('127.0.0.30', 25, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(DialError);
    map.set('127.0.0.30', new Map([[25, port]]));
    expect(await read(await dialer.connect('127.0.0.30', 25, { timeoutMs: 1_000 }))).toContain('hello');
  });

  it('reports a mapped port with nothing listening as refused', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dialer = labDialer(new Map([['127.0.0.40', new Map([[25, deadPort]])]]));
    await expect(dialer.connect('127.0.0.40', 25, { timeoutMs: 1_000 })).rejects.toMatchObject({
      reason: 'refused',
      code: 'E_NET_CONNECT',
    });
  });

  it('honours an aborted signal before dialling', async () => {
    const dialer = labDialer(new Map([['127.0.0.25', new Map([[25, port]])]]));
    const controller = new AbortController();
    controller.abort();
    await expect(
      dialer.connect('127.0.0.25', 25, { timeoutMs: 1_000, signal: controller.signal }),
    ).rejects.toMatchObject({ reason: 'aborted' });
  });
});
