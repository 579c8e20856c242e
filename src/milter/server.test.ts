import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultHeaderPolicy } from '../message/policy.js';
import { MilterClient, POSTFIX_OFFER, type ClientMessage } from './client.js';
import { FrameDecoder, encodeCstrings, encodeOptNeg, encodePacket } from './codec.js';
import { Cmd, Proto, Reply } from './protocol.js';
import { sanitizingRewriter } from './rewriter.js';
import { MilterServer, formatListen, parseListen, type ListenSpec } from './server.js';
import type { HeaderRewriter, MilterContext } from './session.js';

const LOOPBACK: ListenSpec = { kind: 'inet', host: '127.0.0.1', port: 0 };

const servers: MilterServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(rewrite: HeaderRewriter, onError: 'accept' | 'tempfail' = 'tempfail') {
  const server = new MilterServer({ rewrite, onError });
  servers.push(server);
  const spec = await server.listen(LOOPBACK);
  return { server, spec };
}

/** A submitted message: a hop from a workstation on the LAN, client IP and software headers. */
const MESSAGE: ClientMessage = {
  connect: { hostname: 'laptop.example.org', family: '4', port: 50123, address: '203.0.113.7' },
  mailMacros: { '{auth_authen}': 'alice', '{auth_type}': 'PLAIN' },
  sender: 'alice@example.org',
  recipients: ['bob@example.net'],
  headers: [
    {
      name: 'Received',
      value:
        ' from pc17.corp.example (pc17.lan [192.168.1.17])\n\tby mx.example.org (Postfix) with ESMTPSA id 1;\n\tMon, 2 Nov 2026 10:00:00 +0100',
    },
    {
      name: 'Received',
      value:
        ' from gw.example.net (gw.example.net [198.51.100.2])\n\tby relay.example.org with ESMTP; Mon, 2 Nov 2026 09:59:59 +0100',
    },
    {
      name: 'DKIM-Signature',
      value: ' v=1; a=rsa-sha256; d=example.org; s=s1; h=from:to:subject; bh=abc=; b=def=',
    },
    { name: 'From', value: ' Alice <alice@example.org>' },
    { name: 'Subject', value: ' Quarterly figures' },
    { name: 'X-Originating-IP', value: ' [192.168.1.17]' },
    { name: 'User-Agent', value: ' Mozilla Thunderbird 128.0' },
  ],
};

/** Sends bytes, hangs up, and returns the command bytes of every packet the server answered. */
function rawExchange(spec: ListenSpec, bytes: Buffer): Promise<number[]> {
  return new Promise((resolve, reject) => {
    if (spec.kind !== 'inet') throw new Error('inet only');
    const socket = connect(spec.port, spec.host);
    const decoder = new FrameDecoder();
    const cmds: number[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) cmds.push(p.cmd);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => resolve(cmds));
    socket.end(bytes);
  });
}

describe('parseListen', () => {
  it('reads the Postfix and Sendmail notations', () => {
    expect(parseListen('inet:127.0.0.1:8891')).toEqual({ kind: 'inet', host: '127.0.0.1', port: 8891 });
    expect(parseListen('inet:8891@127.0.0.1')).toEqual({ kind: 'inet', host: '127.0.0.1', port: 8891 });
    expect(parseListen('inet6:[::1]:10025')).toEqual({ kind: 'inet', host: '::1', port: 10025 });
    expect(parseListen('unix:/run/m.sock')).toEqual({ kind: 'unix', path: '/run/m.sock' });
    expect(formatListen({ kind: 'inet', host: '::1', port: 1 })).toBe('inet6:[::1]:1');
    for (const bad of ['tcp:1.2.3.4:5', 'inet:host', 'inet:h:70000', 'unix:relative.sock']) {
      expect(() => parseListen(bad)).toThrow(/--listen/);
    }
  });
});

describe('MilterServer with the sanitiser', () => {
  it('negotiates only header edits and one round trip per message', async () => {
    const { spec } = await start(sanitizingRewriter(defaultHeaderPolicy()));
    const c = await MilterClient.open(spec);
    expect(c.negotiated.version).toBe(6);
    expect(c.negotiated.actions).toBe(0x11); // ADDHDRS | CHGHDRS
    expect(c.negotiated.protocol & Proto.NOBODY).toBeTruthy();
    expect(c.negotiated.protocol & Proto.NR_HDR).toBeTruthy();
    await c.close();
  });

  it('rewrites internal hops, drops client headers and leaves the rest alone', async () => {
    const { server, spec } = await start(sanitizingRewriter(defaultHeaderPolicy()));
    const c = await MilterClient.open(spec);
    const r = await c.send(MESSAGE);
    expect(r.action).toBe('accept');
    const byName = (n: string) => r.edits.filter((e) => e.name.toLowerCase() === n.toLowerCase());
    const [rcv] = byName('Received');
    expect(rcv).toMatchObject({ kind: 'change', index: 1 });
    const value = rcv && rcv.kind === 'change' ? rcv.value : '';
    expect(value).toMatch(/^ from redacted\.invalid/);
    expect(value).not.toMatch(/192\.168|pc17/);
    // Folding goes back to the MTA with LF line ends, the receiving host and date kept.
    expect(value).toContain('\n\tby mx.example.org (Postfix) with ESMTPSA id 1;\n\tMon, 2 Nov 2026');
    expect(byName('X-Originating-IP')).toEqual([{ kind: 'delete', name: 'X-Originating-IP', index: 1 }]);
    expect(byName('User-Agent')).toEqual([{ kind: 'delete', name: 'User-Agent', index: 1 }]);
    for (const kept of ['DKIM-Signature', 'From', 'Subject']) expect(byName(kept)).toEqual([]);
    expect(r.edits).toHaveLength(3); // the public second hop is untouched
    expect(server.stats).toMatchObject({ messages: 1, rewritten: 1, failed: 0 });
    await c.close();
  });

  it('passes the client address, host name and SASL login to the rewriter', async () => {
    const seen: MilterContext[] = [];
    const { spec } = await start((fields, ctx) => {
      seen.push(ctx);
      return fields;
    });
    const c = await MilterClient.open(spec);
    const r = await c.send(MESSAGE);
    expect(r).toEqual({ action: 'accept', edits: [] });
    expect(seen[0]).toMatchObject({
      clientAddress: '203.0.113.7',
      clientName: 'laptop.example.org',
      authenticatedUser: 'alice',
    });
    expect(seen[0]?.macro('auth_type')).toBe('PLAIN');
    // The next message on the same connection has no login: message macros do not leak across.
    await c.send({ ...MESSAGE, connect: undefined, mailMacros: {} });
    expect(seen[1]?.authenticatedUser).toBeUndefined();
    expect(seen[1]?.clientAddress).toBe('203.0.113.7');
    await c.close();
  });

  it('answers per step when the MTA offers no skip flags (old MTA, no leading-space flag)', async () => {
    const { spec } = await start(sanitizingRewriter(defaultHeaderPolicy()));
    const c = await MilterClient.open(spec, { version: 2, actions: 0x3f, protocol: 0x7f });
    expect(c.negotiated.version).toBe(2);
    expect(c.negotiated.protocol & Proto.HDR_LEADSPC).toBe(0);
    const r = await c.send({
      ...MESSAGE,
      headers: MESSAGE.headers.map((h) => ({ ...h, value: h.value.slice(1) })),
    });
    expect(r.action).toBe('accept');
    const rcv = r.edits.find((e) => e.name === 'Received');
    // Without HDR_LEADSPC the MTA adds the space itself: the value must not start with one.
    expect(rcv && rcv.kind === 'change' ? rcv.value : '').toMatch(/^from redacted\.invalid/);
    await c.close();
  });

  it('applies the on-error action when the rewriter fails, and keeps serving', async () => {
    let fail = true;
    const flaky: HeaderRewriter = (fields) => {
      if (fail) throw new Error('boom');
      return fields.filter((f) => f.name !== 'User-Agent');
    };
    for (const [onError, expected] of [
      ['tempfail', 'tempfail'],
      ['accept', 'accept'],
    ] as const) {
      fail = true;
      const { server, spec } = await start(flaky, onError);
      const c = await MilterClient.open(spec);
      expect(await c.send(MESSAGE)).toEqual({ action: expected, edits: [] });
      fail = false;
      const ok = await c.send({ ...MESSAGE, connect: undefined });
      expect(ok.edits).toEqual([{ kind: 'delete', name: 'User-Agent', index: 1 }]);
      expect(server.stats.failed).toBe(1);
      await c.close();
    }
  });

  it('fails safe when the MTA does not allow header changes', async () => {
    const { server, spec } = await start(sanitizingRewriter(defaultHeaderPolicy()), 'tempfail');
    const c = await MilterClient.open(spec, { ...POSTFIX_OFFER, actions: 0 });
    expect(c.negotiated.actions).toBe(0);
    // Edits are needed but not allowed: never let the message out unsanitised.
    expect(await c.send(MESSAGE)).toEqual({ action: 'tempfail', edits: [] });
    // A clean message needs no edit and passes.
    expect(await c.send({ headers: [{ name: 'Subject', value: ' hi' }] })).toEqual({
      action: 'accept',
      edits: [],
    });
    expect(server.stats.failed).toBe(1);
    await c.close();
  });

  it('supports an async rewriter and a unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'milter-test-'));
    try {
      const server = new MilterServer({
        rewrite: async (fields) =>
          fields.map((f) => (f.name === 'Subject' ? { ...f, value: ' [x]\r\n' } : f)),
      });
      servers.push(server);
      const spec = await server.listen({ kind: 'unix', path: join(dir, 'm.sock') });
      const c = await MilterClient.open(spec);
      const r = await c.send(MESSAGE);
      expect(r.edits).toEqual([{ kind: 'change', name: 'Subject', index: 1, value: ' [x]' }]);
      await c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forgets an aborted message', async () => {
    const { spec } = await start(sanitizingRewriter(defaultHeaderPolicy()));
    const c = await MilterClient.open(spec);
    await c.connectInfo(MESSAGE.connect!);
    c.writeRaw(encodePacket(Cmd.MAIL, encodeCstrings(['<a@example.org>'])));
    c.writeRaw(encodePacket(Cmd.HEADER, encodeCstrings(['User-Agent', ' Old'])));
    c.abort();
    const r = await c.send({ headers: [{ name: 'Subject', value: ' hi' }] });
    expect(r).toEqual({ action: 'accept', edits: [] });
    await c.close();
  });

  it('serves many connections at once', async () => {
    const { server, spec } = await start(sanitizingRewriter(defaultHeaderPolicy()));
    const clients = await Promise.all(Array.from({ length: 50 }, () => MilterClient.open(spec)));
    const results = await Promise.all(
      clients.map(async (c) => {
        const out = [];
        for (let i = 0; i < 10; i++)
          out.push(await c.send({ ...MESSAGE, connect: i === 0 ? MESSAGE.connect : undefined }));
        return out;
      }),
    );
    for (const r of results.flat()) expect(r.edits).toHaveLength(3);
    expect(server.stats.messages).toBe(500);
    expect(server.stats.active).toBe(50);
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('MilterServer under hostile input', () => {
  it('survives 10,000 malformed packets across connections, then still sanitises', async () => {
    const { server, spec } = await start(sanitizingRewriter(defaultHeaderPolicy()));
    const optneg = encodeOptNeg(POSTFIX_OFFER, Cmd.OPTNEG);
    const scripted: Buffer[] = [
      Buffer.from([0, 0, 0, 0]), // zero length
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x4c]), // absurd length
      encodePacket(0x7a), // unknown command
      encodePacket(Cmd.HEADER, Buffer.from('no-nul')), // header without terminators
      encodePacket(Cmd.HEADER, encodeCstrings(['only'])), // header without value
      encodePacket(Cmd.CONNECT, Buffer.from([0x68])), // truncated connect
      encodePacket(Cmd.OPTNEG, Buffer.alloc(3)), // short negotiation
      encodePacket(Cmd.MACRO), // empty macro
      encodePacket(Cmd.OPTNEG, Buffer.alloc(12)), // version 0
      encodePacket(Cmd.BODYEOB, Buffer.from('junk')).subarray(0, 6), // cut short, then the peer hangs up
    ];
    // Random packets: a real command byte (or any byte) with random payload, sometimes a lying length.
    const randomPacket = fc
      .tuple(
        fc.oneof(fc.constantFrom(...Object.values(Cmd)), fc.integer({ min: 0, max: 255 })),
        fc.uint8Array({ maxLength: 40 }),
        fc.option(fc.integer({ min: 0, max: 0xffffffff }), { freq: 4 }),
      )
      .map(([cmd, payload, lie]) => {
        const p = encodePacket(cmd, Buffer.from(payload));
        if (lie !== null) p.writeUInt32BE(lie, 0);
        return p;
      });
    const total = 10_000;
    const perConnection = 10;
    const replies = new Set<number>(Object.values(Reply));
    let sent = 0;
    for (let conn = 0; sent < total; conn++) {
      const packets: Buffer[] =
        conn % 3 === 2
          ? fc.sample(randomPacket, { numRuns: perConnection, seed: conn })
          : Array.from({ length: perConnection }, (_, i) => scripted[(conn + i) % scripted.length]!);
      sent += packets.length;
      // A third of the connections never negotiate, so the pre-negotiation state is hit too.
      const answers = await rawExchange(spec, Buffer.concat(conn % 3 === 0 ? packets : [optneg, ...packets]));
      for (const cmd of answers) expect(replies.has(cmd), `reply 0x${cmd.toString(16)}`).toBe(true);
    }
    expect(sent).toBe(total);
    expect(server.stats.protocolErrors).toBeGreaterThan(total / perConnection / 2);
    // A client that vanishes mid-message does not disturb anything either.
    const quitter = await MilterClient.open(spec);
    quitter.writeRaw(encodePacket(Cmd.HEADER, encodeCstrings(['Subject', ' half'])).subarray(0, 7));
    quitter.destroy();
    const c = await MilterClient.open(spec);
    const r = await c.send(MESSAGE);
    expect(r.action).toBe('accept');
    expect(r.edits.map((e) => e.name).sort()).toEqual(['Received', 'User-Agent', 'X-Originating-IP']);
    await c.close();
    await vi.waitFor(() => expect(server.stats.active).toBe(0));
  });

  it('closes a connection that floods macros', async () => {
    const { server, spec } = await start(sanitizingRewriter(defaultHeaderPolicy()));
    const names = Array.from({ length: 1_001 }, (_, i) => [`m${i}`, 'v']).flat();
    const flood = encodePacket(Cmd.MACRO, Buffer.concat([Buffer.from([Cmd.MAIL]), encodeCstrings(names)]));
    const answers = await rawExchange(spec, Buffer.concat([encodeOptNeg(POSTFIX_OFFER, Cmd.OPTNEG), flood]));
    expect(answers).toEqual([Reply.OPTNEG]);
    expect(server.stats.protocolErrors).toBe(1);
  });

  it('gives a too-large header the on-error action', async () => {
    const { server, spec } = await start(sanitizingRewriter(defaultHeaderPolicy()), 'accept');
    const c = await MilterClient.open(spec);
    const big = 'x'.repeat(1_000_000);
    const headers = Array.from({ length: 5 }, () => ({ name: 'X-Big', value: ` ${big}` }));
    expect(await c.send({ ...MESSAGE, headers })).toEqual({ action: 'accept', edits: [] });
    expect(server.stats.failed).toBe(1);
    await c.close();
  });
});
