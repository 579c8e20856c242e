import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabCa, type LabCa } from './ca.js';
import { GARBAGE_LINE_BYTES } from './smtp-scripted.js';
import {
  LAB_DISCLOSED_SOFTWARE,
  LAB_SMTP_PROFILES,
  startLabSmtp,
  type LabSmtp,
  type LabSmtpProfile,
} from './smtp-servers.js';
import { LAB_WRONG_NAME } from './tls-profiles.js';

interface Reply {
  code: number;
  lines: string[];
}

/** A deliberately plain SMTP client: read one (multi-line) reply, send a line, upgrade to TLS. */
class RawClient {
  private buffered = '';
  private waiting: (() => void) | undefined;
  private ended = false;
  constructor(public socket: Socket) {
    this.listen(socket);
  }
  static async open(port: number): Promise<RawClient> {
    const socket = netConnect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawClient(socket);
  }
  private listen(s: Socket) {
    s.on('data', (d: Buffer) => {
      this.buffered += d.toString('latin1');
      this.waiting?.();
    });
    s.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
    s.on('error', () => undefined);
  }
  async reply(): Promise<Reply> {
    for (;;) {
      const lines = this.buffered.split('\r\n');
      const last = lines.findIndex((l) => /^\d{3} /.test(l) || l === String(Number(l.slice(0, 3))));
      if (last >= 0 && last < lines.length - 1) {
        const taken = lines.slice(0, last + 1);
        this.buffered = lines.slice(last + 1).join('\r\n');
        return { code: Number(taken[0]?.slice(0, 3)), lines: taken.map((l) => l.slice(4)) };
      }
      if (this.ended)
        throw new Error(`connection ended; unparsed: ${JSON.stringify(this.buffered.slice(0, 80))}`);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
  async command(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }
  async starttls(options: ConnectionOptions): Promise<TLSSocket> {
    const r = await this.command('STARTTLS');
    expect(r.code).toBe(220);
    this.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: this.socket, ...options });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
    return secure;
  }
  destroy() {
    this.socket.destroy();
  }
}

const ALL = LAB_SMTP_PROFILES;

const hostOf = (p: LabSmtpProfile) => `mx-${p}.example.test`;
const addressOf = (p: LabSmtpProfile) => `127.0.0.${10 + ALL.indexOf(p)}`;

describe('startLabSmtp', () => {
  let ca: LabCa;
  let lab: LabSmtp;
  const clients: RawClient[] = [];
  const open = async (p: LabSmtpProfile) => {
    const c = await RawClient.open(lab.ports.get(addressOf(p)) ?? -1);
    clients.push(c);
    return c;
  };
  const greet = async (p: LabSmtpProfile) => {
    const c = await open(p);
    const banner = await c.reply();
    const ehlo = await c.command('EHLO probe.example.net');
    return { c, banner, ehlo };
  };
  const tlsTo = (p: LabSmtpProfile, extra: ConnectionOptions = {}) => ({
    ca: ca.certPem,
    servername: hostOf(p),
    rejectUnauthorized: false,
    ...extra,
  });

  beforeAll(async () => {
    ca = await createLabCa();
    lab = await startLabSmtp(
      ALL.map((profile) => ({ address: addressOf(profile), hostname: hostOf(profile), profile })),
      ca,
    );
  });
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await lab.close();
  });

  it('gives every server its own loopback port', () => {
    expect(lab.ports.size).toBe(ALL.length);
    expect(new Set(lab.ports.values()).size).toBe(ALL.length);
  });

  it('valid: plain banner, STARTTLS with a certificate the lab root vouches for', async () => {
    const { c, banner, ehlo } = await greet('valid');
    expect(banner).toEqual({ code: 220, lines: ['mx-valid.example.test ESMTP'] });
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines[0]).toBe('mx-valid.example.test');
    expect(ehlo.lines).toContain('STARTTLS');
    expect(ehlo.lines.some((l) => /^(AUTH|VRFY)\b/.test(l))).toBe(false);
    expect((await c.command('VRFY postmaster')).code).toBeGreaterThanOrEqual(500);
    expect((await c.command('MAIL FROM:<probe@example.net>')).code).toBe(250);
    expect((await c.command('RCPT TO:<someone@elsewhere.example>')).code).toBe(554);
    expect((await c.command('RCPT TO:<postmaster@example.test>')).code).toBe(250);
    expect((await c.command('RSET')).code).toBe(250);
    const secure = await c.starttls(tlsTo('valid'));
    expect(secure.authorized).toBe(true);
    expect(secure.getProtocol()).toBe('TLSv1.3');
    expect(checkServerIdentity('mx-valid.example.test', secure.getPeerCertificate())).toBeUndefined();
    expect(
      secure.getPeerCertificate().raw.equals(lab.certs.get(addressOf('valid'))?.certDer ?? Buffer.alloc(0)),
    ).toBe(true);
    const again = await c.command('EHLO probe.example.net');
    expect(again.lines).not.toContain('STARTTLS');
    expect((await c.command('QUIT')).code).toBe(221);
  });

  it('valid: refuses TLS 1.0 even from a client that would accept it', async () => {
    const { c } = await greet('valid');
    await expect(
      c.starttls(tlsTo('valid', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' })),
    ).rejects.toThrow();
  });

  it('no-starttls: neither advertises nor accepts STARTTLS', async () => {
    const { c, ehlo } = await greet('no-starttls');
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines).not.toContain('STARTTLS');
    expect((await c.command('STARTTLS')).code).toBeGreaterThanOrEqual(500);
    expect(lab.certs.has(addressOf('no-starttls'))).toBe(false);
  });

  it('expired: the certificate is out of date', async () => {
    const { c } = await greet('expired');
    const secure = await c.starttls(tlsTo('expired'));
    expect(secure.authorized).toBe(false);
    expect(String(secure.authorizationError)).toBe('CERT_HAS_EXPIRED');
  });

  it('wrong-name: the chain is fine but names another host', async () => {
    const { c } = await greet('wrong-name');
    const secure = await c.starttls(tlsTo('wrong-name'));
    expect(secure.authorized).toBe(false);
    expect(String(secure.authorizationError)).toMatch(/ALTNAME|does not match/i);
    const second = await greet('wrong-name');
    const chainOnly = await second.c.starttls(tlsTo('wrong-name', { checkServerIdentity: () => undefined }));
    expect(chainOnly.authorized).toBe(true);
    const peer = secure.getPeerCertificate();
    expect(peer.subjectaltname).toBe(`DNS:${LAB_WRONG_NAME}`);
    expect(checkServerIdentity('mx-wrong-name.example.test', peer)).toBeInstanceOf(Error);
  });

  it('self-signed: no chain to the lab root', async () => {
    const { c } = await greet('self-signed');
    const secure = await c.starttls(tlsTo('self-signed'));
    expect(String(secure.authorizationError)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('tls10-only: speaks TLS 1.0 when asked and nothing newer', async () => {
    const legacy = { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    const first = await greet('tls10-only');
    const secure = await first.c.starttls(tlsTo('tls10-only', legacy));
    expect(secure.getProtocol()).toBe('TLSv1');
    expect(secure.authorized).toBe(true);
    const second = await greet('tls10-only');
    await expect(second.c.starttls(tlsTo('tls10-only'))).rejects.toThrow();
  });

  it('banner-version: discloses the software in the banner', async () => {
    const { banner } = await greet('banner-version');
    expect(banner.lines[0]).toBe(`mx-banner-version.example.test ESMTP ${LAB_DISCLOSED_SOFTWARE}`);
  });

  it('vrfy: confirms role mailboxes, denies unknown ones, and still offers STARTTLS', async () => {
    const { c, banner, ehlo } = await greet('vrfy');
    expect(banner.lines[0]).toBe('mx-vrfy.example.test ESMTP');
    expect(ehlo.lines).toEqual(expect.arrayContaining(['VRFY', 'STARTTLS']));
    expect(await c.command('VRFY postmaster')).toEqual({
      code: 250,
      lines: ['2.1.5 Postmaster <postmaster@example.test>'],
    });
    expect((await c.command('EXPN abuse')).code).toBe(250);
    expect((await c.command('VRFY nobody-here')).code).toBe(550);
    expect((await c.command('VRFY')).code).toBe(501);
    expect((await c.command('RCPT TO:<x@elsewhere.example>')).code).toBe(554);
    expect((await c.command('XYZZY')).code).toBe(502);
    const secure = await c.starttls(tlsTo('vrfy'));
    expect(secure.authorized).toBe(true);
    const after = await c.command('EHLO probe.example.net');
    expect(after.lines).not.toContain('STARTTLS');
    expect((await c.command('VRFY postmaster')).code).toBe(250);
    expect((await c.command('QUIT')).code).toBe(221);
  });

  it('vrfy: ignores commands pipelined in clear behind STARTTLS', async () => {
    const { c } = await greet('vrfy');
    c.socket.write('STARTTLS\r\nVRFY postmaster\r\n');
    expect((await c.reply()).code).toBe(220);
    c.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: c.socket, ...tlsTo('vrfy') });
    await once(secure, 'secureConnect');
    const inner = new RawClient(secure);
    // Had the pipelined VRFY run, its 250 would arrive before this NOOP's reply.
    expect(await inner.command('NOOP')).toEqual({ code: 250, lines: ['2.0.0 Ok'] });
    inner.destroy();
  });

  it('vrfy: drops a client whose command line never ends', async () => {
    const c = await open('vrfy');
    await c.reply();
    c.socket.write(Buffer.alloc(64 * 1024, 'a'));
    expect((await c.reply()).code).toBe(500);
    await once(c.socket, 'close');
  });

  it('hang: accepts the connection and never writes a byte', async () => {
    const c = await open('hang');
    const received: Buffer[] = [];
    c.socket.removeAllListeners('data');
    c.socket.on('data', (d: Buffer) => received.push(d));
    c.socket.end('EHLO probe.example.net\r\n');
    await once(c.socket, 'close');
    expect(Buffer.concat(received).length).toBe(0);
  });

  it('garbage: noise and a 100 KiB line with no line end', async () => {
    const c = await open('garbage');
    c.socket.removeAllListeners('data');
    let total = 0;
    let sawLineEnd = false;
    await new Promise<void>((resolve) =>
      c.socket.on('data', (d: Buffer) => {
        total += d.length;
        if (d.includes(0x0a) || d.includes(0x0d)) sawLineEnd = true;
        if (total > GARBAGE_LINE_BYTES) resolve();
      }),
    );
    expect(sawLineEnd).toBe(false);
    expect(total).toBeGreaterThan(GARBAGE_LINE_BYTES);
    c.destroy();
  });

  it('weak-key: a 1024-bit RSA key that still verifies', async () => {
    const { c } = await greet('weak-key');
    const secure = await c.starttls(tlsTo('weak-key'));
    expect(secure.authorized).toBe(true);
    expect(secure.getPeerCertificate().bits).toBe(1024);
    expect(secure.getProtocol()).toBe('TLSv1.3');
  });

  it('starttls-454: advertises STARTTLS, refuses it, and carries on in clear', async () => {
    const { c, ehlo } = await greet('starttls-454');
    expect(ehlo.lines).toContain('STARTTLS');
    expect(await c.command('STARTTLS')).toEqual({
      code: 454,
      lines: ['4.7.0 TLS not available due to local problem'],
    });
    expect((await c.command('EHLO probe.example.net')).code).toBe(250);
    expect((await c.command('QUIT')).code).toBe(221);
    expect(lab.certs.has(addressOf('starttls-454'))).toBe(false);
  });

  it('reports the certificate of every TLS server', () => {
    const served = (p: LabSmtpProfile) => new X509Certificate(lab.certs.get(addressOf(p))?.certPem ?? '');
    expect(served('valid').subjectAltName).toBe('DNS:mx-valid.example.test');
    expect(served('vrfy').subjectAltName).toBe('DNS:mx-vrfy.example.test');
    expect(new Date(served('expired').validTo).getTime()).toBeLessThan(Date.now());
  });
});

describe('startLabSmtp definitions', () => {
  it('serves a certificate it is given', async () => {
    const ca = await createLabCa();
    const cert = await ca.issue({ names: ['given.example.test'], viaIntermediate: true });
    const lab = await startLabSmtp(
      [{ address: '127.0.0.2', hostname: 'given.example.test', profile: 'valid', cert }],
      ca,
    );
    try {
      const c = await RawClient.open(lab.ports.get('127.0.0.2') ?? -1);
      await c.reply();
      await c.command('EHLO probe.example.net');
      const secure = await c.starttls({ ca: ca.certPem, servername: 'given.example.test' });
      expect(secure.getPeerCertificate().raw.equals(cert.certDer)).toBe(true);
      expect(lab.certs.get('127.0.0.2')).toBe(cert);
      c.destroy();
    } finally {
      await lab.close();
    }
  });

  it('rejects two servers for one address', async () => {
    const ca = await createLabCa();
    const def = { address: '127.0.0.3', hostname: 'a.example.test', profile: 'valid' as const };
    await expect(startLabSmtp([def, { ...def, profile: 'hang' }], ca)).rejects.toMatchObject({
      code: 'E_LAB',
    });
  });
});

/** Handles that would keep a process alive: sockets, servers, timers. */
function openHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => /TCP|Timeout|TLS|Pipe/.test(r))
    .sort();
}

/** Handles in `after` beyond those already open in `before` (which other suites may have left). */
function extraHandles(before: string[], after: string[]): string[] {
  const left = [...before];
  return after.filter((h) => {
    const i = left.indexOf(h);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

describe('LabSmtp.close', () => {
  it('leaves no socket, server or timer behind, even with clients stuck in every state', async () => {
    const before = openHandles();
    const ca = await createLabCa();
    const profiles: LabSmtpProfile[] = ['valid', 'vrfy', 'hang', 'garbage', 'starttls-454', 'no-starttls'];
    const lab = await startLabSmtp(
      profiles.map((profile, i) => ({
        address: `127.0.0.${20 + i}`,
        hostname: `mx${i}.example.test`,
        profile,
      })),
      ca,
    );
    const port = (i: number) => lab.ports.get(`127.0.0.${20 + i}`) ?? -1;
    const sockets: Socket[] = [];
    // Mid-handshake after STARTTLS, on the smtp-server profile and on the scripted one.
    for (const i of [0, 1]) {
      const c = await RawClient.open(port(i));
      await c.reply();
      await c.command('EHLO probe.example.net');
      expect((await c.command('STARTTLS')).code).toBe(220);
      // The start of a TLS record header: the server now waits for the rest of a ClientHello.
      c.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
      sockets.push(c.socket);
    }
    // Idle in a session, hanging, flooded, and not yet greeted.
    for (const i of [2, 3, 4, 5]) {
      const c = await RawClient.open(port(i));
      if (i === 4) await c.reply();
      sockets.push(c.socket);
    }
    const idle = await RawClient.open(port(0));
    await idle.reply();
    sockets.push(idle.socket);
    expect(extraHandles(before, openHandles()).length).toBeGreaterThan(6);

    const closed = sockets.map((s) => (s.destroyed ? Promise.resolve() : once(s, 'close')));
    await lab.close();
    // Every client sees its connection go: the servers did not wait for the clients to leave.
    await Promise.all(closed);
    expect(extraHandles(before, openHandles())).toEqual([]);
  });
});
