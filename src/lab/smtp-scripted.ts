import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/** A lab server on 127.0.0.1 that can be closed with nothing left behind. */
export interface LabListener {
  port: number;
  /** Stops listening and destroys every connection still open. */
  close(): Promise<void>;
}

/** Lab servers drop a client idle this long: a scanner that forgot its socket is not kept forever. */
const LAB_SMTP_IDLE_MS = 60_000;
/** RFC 5321 §4.5.3.1.4/§4.5.3.1.5: command lines are at most 512 octets; a little slack, then 500. */
const LAB_SMTP_MAX_COMMAND = 2_048;
/** Size of the `garbage` server's binary noise, sent before its endless line. */
const GARBAGE_NOISE_BYTES = 512;
/** The `garbage` server's line without a newline: far past any sane reply-line limit. */
export const GARBAGE_LINE_BYTES = 100 * 1024;

/**
 * Listens on 127.0.0.1 port 0. `onSocket` gets every accepted socket and a `track` function for
 * sockets layered on top of it (TLS), so close() can destroy the topmost one first: tearing a TLS
 * socket down from below in the middle of a handshake is what crashes, not the other way round.
 */
export async function listenTracked(
  onSocket: (socket: Socket, track: (upper: Socket) => void) => void,
): Promise<LabListener> {
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  const server = createServer((socket) => {
    track(socket);
    // A peer that resets is normal in a lab full of hostile cases; it must not crash the process.
    socket.on('error', () => socket.destroy());
    onSocket(socket, track);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of [...open].reverse()) s.destroy();
      await closed;
    },
  };
}

/** `hang`: accepts, reads and discards whatever comes, never writes a byte. */
export function hangSession(socket: Socket): void {
  socket.resume();
}

/**
 * `garbage`: binary noise (never CR or LF) immediately followed by a 100 KiB line that never
 * ends, so a client sees one line that only a length limit stops; then nothing more.
 */
export function garbageSession(socket: Socket): void {
  const noise = randomBytes(GARBAGE_NOISE_BYTES).map((b) => (b === 0x0a || b === 0x0d ? 0x00 : b));
  socket.resume();
  socket.write(noise);
  socket.write(Buffer.alloc(GARBAGE_LINE_BYTES, 'x'));
}

/** How a scripted SMTP server behaves. */
export interface ScriptedSmtpOptions {
  hostname: string;
  /** `offer`: STARTTLS works (needs secureContext); `454`: advertised, then refused. */
  starttls: 'offer' | '454';
  secureContext?: SecureContext;
  /** Answer VRFY and EXPN for known mailboxes with 250, unknown ones with 550 (Postfix with VRFY on). */
  vrfy: boolean;
}

/** Mailboxes a `vrfy` lab server admits to: role addresses only, never anyone's name. */
const KNOWN_MAILBOXES = new Set(['postmaster', 'abuse']);

/** The parent domain of an MX host name: the only domain a lab server accepts mail for. */
export function localDomainOf(hostname: string): string {
  const dot = hostname.indexOf('.');
  return (dot >= 0 ? hostname.slice(dot + 1) : hostname).toLowerCase();
}

/** True when a RCPT TO path names the lab server's own domain (or a subdomain of it). */
export function isLocalRecipient(hostname: string, path: string): boolean {
  const domain = /@([^>\s]+)>?\s*$/.exec(path)?.[1]?.toLowerCase().replace(/\.$/, '');
  const local = localDomainOf(hostname);
  return domain !== undefined && (domain === local || domain.endsWith(`.${local}`));
}

/**
 * Enough of an SMTP server for the lab's odd profiles (VRFY on, STARTTLS answered with 454), which
 * the smtp-server package cannot be made to play. Accepts no message.
 */
export function scriptedSmtpSession(
  raw: Socket,
  track: (upper: Socket) => void,
  o: ScriptedSmtpOptions,
): void {
  let socket: Socket = raw;
  let buffered = '';
  let secure = false;
  let greeted = false;
  const reply = (code: number, lines: string[]) => {
    const text = lines.map((l, i) => `${code}${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join('');
    if (socket.writable) socket.write(text);
  };
  const mailbox = (arg: string) => arg.replace(/^<|>$/g, '').split('@')[0]?.toLowerCase() ?? '';
  const lookupAnswer = (arg: string) => {
    if (!arg) return reply(501, ['5.5.4 Syntax: VRFY address']);
    if (!o.vrfy) return reply(502, ['5.5.1 VRFY command is disabled']);
    const box = mailbox(arg);
    if (KNOWN_MAILBOXES.has(box)) {
      const name = box === 'abuse' ? 'Abuse' : 'Postmaster';
      return reply(250, [`2.1.5 ${name} <${box}@${localDomainOf(o.hostname)}>`]);
    }
    return reply(550, ['5.1.1 Recipient address rejected: User unknown in local recipient table']);
  };

  const upgrade = () => {
    reply(220, ['2.0.0 Ready to start TLS']);
    raw.off('data', onData);
    raw.setTimeout(0);
    buffered = '';
    const tlsSocket = new TLSSocket(raw, { isServer: true, secureContext: o.secureContext });
    track(tlsSocket);
    tlsSocket.on('error', () => tlsSocket.destroy());
    tlsSocket.setTimeout(LAB_SMTP_IDLE_MS, () => tlsSocket.destroy());
    tlsSocket.once('secure', () => {
      // RFC 3207 §4.2: everything learnt before TLS is forgotten, EHLO included.
      socket = tlsSocket;
      secure = true;
      greeted = false;
      tlsSocket.on('data', onData);
    });
  };

  const command = (line: string): 'stop' | void => {
    const [verb = '', ...rest] = line.trim().split(/\s+/);
    const arg = rest.join(' ');
    switch (verb.toUpperCase()) {
      case 'EHLO': {
        greeted = true;
        const ext = ['PIPELINING', 'SIZE 10240000'];
        if (o.vrfy) ext.push('VRFY');
        if (!secure) ext.push('STARTTLS');
        ext.push('ENHANCEDSTATUSCODES', '8BITMIME', 'SMTPUTF8');
        return reply(250, [o.hostname, ...ext]);
      }
      case 'HELO':
        greeted = true;
        return reply(250, [o.hostname]);
      case 'STARTTLS':
        if (secure) return reply(503, ['5.5.1 Error: TLS already active']);
        if (o.starttls === '454' || !o.secureContext) {
          return reply(454, ['4.7.0 TLS not available due to local problem']);
        }
        upgrade();
        return 'stop';
      case 'VRFY':
      case 'EXPN':
        return lookupAnswer(arg);
      case 'MAIL':
        return greeted ? reply(250, ['2.1.0 Ok']) : reply(503, ['5.5.1 Error: send HELO/EHLO first']);
      case 'RCPT':
        return isLocalRecipient(o.hostname, arg)
          ? reply(250, ['2.1.5 Ok'])
          : reply(554, ['5.7.1 Relay access denied']);
      case 'DATA':
        return reply(554, ['5.5.1 Error: this lab server accepts no messages']);
      case 'RSET':
      case 'NOOP':
        return reply(250, ['2.0.0 Ok']);
      case 'QUIT':
        reply(221, ['2.0.0 Bye']);
        socket.end();
        return 'stop';
      default:
        return reply(502, ['5.5.2 Error: command not recognized']);
    }
  };

  function onData(chunk: Buffer) {
    buffered += chunk.toString('latin1');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      // Lines pipelined behind STARTTLS were sent in clear: they are dropped, never run inside TLS.
      if (command(line) === 'stop') return;
    }
    if (buffered.length > LAB_SMTP_MAX_COMMAND) {
      reply(500, ['5.5.0 Error: line too long']);
      socket.destroySoon();
    }
  }

  raw.on('data', onData);
  raw.setTimeout(LAB_SMTP_IDLE_MS, () => {
    reply(421, ['4.4.2 Error: timeout exceeded']);
    raw.destroySoon();
  });
  reply(220, [`${o.hostname} ESMTP`]);
}
