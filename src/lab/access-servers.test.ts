import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailcomplyError } from '../core/errors.js';
import { startLabAccess, type LabAccess } from './access-servers.js';
import { createLabCa, type LabCa } from './ca.js';

let ca: LabCa;
let lab: LabAccess;

beforeAll(async () => {
  ca = await createLabCa();
  lab = await startLabAccess(
    [
      { address: '127.0.0.41', hostname: 'mail.one.test', profile: 'imap-good' },
      { address: '127.0.0.41', hostname: 'mail.one.test', profile: 'submission-good' },
      { address: '127.0.0.41', hostname: 'mail.one.test', profile: 'pop3-good' },
      { address: '127.0.0.42', hostname: 'mail.two.test', profile: 'imap-plaintext' },
      { address: '127.0.0.42', hostname: 'mail.two.test', profile: 'submission-plain-auth' },
      { address: '127.0.0.42', hostname: 'mail.two.test', profile: 'pop3-plaintext' },
    ],
    ca,
  );
});
afterAll(async () => {
  await lab.close();
});

/** A line-reading client: `until` waits for a line matching the pattern and returns all lines so far. */
function client(socket: Socket | TLSSocket) {
  let text = '';
  let wake = () => {};
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    text += d;
    wake();
  });
  return {
    socket,
    send: (line: string) => socket.write(`${line}\r\n`),
    until(re: RegExp): Promise<string[]> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${re} in ${JSON.stringify(text)}`)),
          2_000,
        );
        const check = () => {
          const lines = text.split('\r\n');
          if (!lines.some((l) => re.test(l))) return;
          clearTimeout(timer);
          text = '';
          wake = () => {};
          resolve(lines.filter(Boolean));
        };
        wake = check;
        check();
      });
    },
  };
}

function plain(address: string, port: number) {
  const socket = netConnect(lab.ports.get(address)!.get(port)!, '127.0.0.1');
  return client(socket);
}

async function implicitTls(address: string, port: number, servername: string) {
  const socket = tlsConnect({
    port: lab.ports.get(address)!.get(port)!,
    host: '127.0.0.1',
    servername,
    ca: [ca.certPem],
  });
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return client(socket);
}

describe('startLabAccess', () => {
  it('maps each standard port of each address to a loopback port', () => {
    expect([...lab.ports.get('127.0.0.41')!.keys()].sort()).toEqual([110, 143, 465, 587, 993, 995]);
    expect([...lab.ports.get('127.0.0.42')!.keys()].sort()).toEqual([110, 143, 587]);
    const all = [...lab.ports.values()].flatMap((m) => [...m.values()]);
    expect(new Set(all).size).toBe(all.length);
    // One certificate per address, for the host defined there.
    expect(lab.certs.size).toBe(2);
    expect(lab.certs.get('127.0.0.42')!.certPem).not.toBe(lab.certs.get('127.0.0.41')!.certPem);
  });

  it('rejects two servers on the same port of one address', async () => {
    const dup = startLabAccess(
      [
        { address: '127.0.0.43', hostname: 'a.test', profile: 'imap-good' },
        { address: '127.0.0.43', hostname: 'a.test', profile: 'imap-plaintext' },
      ],
      ca,
    );
    await expect(dup).rejects.toBeInstanceOf(MailcomplyError);
    await expect(dup).rejects.toThrow('127.0.0.43 port 143');
  });

  it('imap-good: LOGINDISABLED and no login before STARTTLS, logins refused after it too', async () => {
    const c = plain('127.0.0.41', 143);
    const [greeting] = await c.until(/^\* OK/);
    expect(greeting).toContain('STARTTLS');
    expect(greeting).toContain('LOGINDISABLED');
    c.send('a LOGIN someone secret');
    expect(await c.until(/^a /)).toEqual([
      'a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections.',
    ]);
    c.send('b STARTTLS');
    expect(await c.until(/^b /)).toEqual(['b OK Begin TLS negotiation now.']);
    c.socket.destroy();

    const s = await implicitTls('127.0.0.41', 993, 'mail.one.test');
    expect((s.socket as TLSSocket).authorized).toBe(true);
    const [g] = await s.until(/^\* OK/);
    expect(g).toContain('AUTH=PLAIN');
    expect(g).not.toContain('LOGINDISABLED');
    s.send('a LOGIN someone secret');
    expect(await s.until(/^a /)).toEqual(['a NO [AUTHENTICATIONFAILED] Authentication failed.']);
    s.send('b LOGOUT');
    expect(await s.until(/^b /)).toEqual(['* BYE Logging out', 'b OK Logout completed.']);
    s.socket.destroy();
  });

  it('imap-plaintext: AUTH=PLAIN in clear, no STARTTLS', async () => {
    const c = plain('127.0.0.42', 143);
    c.send('a CAPABILITY');
    const lines = await c.until(/^a OK/);
    expect(lines.find((l) => l.startsWith('* CAPABILITY'))).toBe(
      '* CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN',
    );
    c.send('b STARTTLS');
    expect(await c.until(/^b /)).toEqual(['b BAD Unknown command.']);
    c.socket.destroy();
  });

  it('submission-good refuses AUTH before STARTTLS and hides it; submission-plain-auth offers it', async () => {
    const good = plain('127.0.0.41', 587);
    await good.until(/^220 /);
    good.send('EHLO client.test');
    const ext = await good.until(/^250 /);
    expect(ext).toContain('250-STARTTLS');
    expect(ext.some((l) => l.includes('AUTH'))).toBe(false);
    good.send('AUTH PLAIN AGZvbwBiYXI=');
    expect(await good.until(/^5/)).toEqual(['530 5.7.0 Must issue a STARTTLS command first']);
    good.socket.destroy();

    const bad = plain('127.0.0.42', 587);
    await bad.until(/^220 /);
    bad.send('EHLO client.test');
    expect(await bad.until(/^250 /)).toContain('250-AUTH PLAIN LOGIN');
    bad.socket.destroy();

    const implicit = await implicitTls('127.0.0.41', 465, 'mail.one.test');
    expect(await implicit.until(/^220 /)).toEqual(['220 mail.one.test ESMTP']);
    implicit.send('EHLO client.test');
    expect(await implicit.until(/^250 /)).toContain('250-AUTH PLAIN LOGIN');
    implicit.send('QUIT');
    expect(await implicit.until(/^221 /)).toEqual(['221 2.0.0 Bye']);
    implicit.socket.destroy();
  });

  it('pop3 profiles: USER only after STLS, or in clear without STLS', async () => {
    const good = plain('127.0.0.41', 110);
    await good.until(/^\+OK/);
    good.send('CAPA');
    const capa = await good.until(/^\.$/);
    expect(capa).toContain('STLS');
    expect(capa).not.toContain('USER');
    good.send('USER someone');
    expect((await good.until(/^-ERR/))[0]).toContain('Plaintext authentication disallowed');
    good.socket.destroy();

    const bad = plain('127.0.0.42', 110);
    await bad.until(/^\+OK/);
    bad.send('CAPA');
    const badCapa = await bad.until(/^\.$/);
    expect(badCapa).toEqual(expect.arrayContaining(['USER', 'SASL PLAIN LOGIN']));
    expect(badCapa).not.toContain('STLS');
    bad.socket.destroy();
  });
});
