/**
 * Lab submission, IMAP and POP3 servers on loopback: just enough of each protocol for the access
 * probe to tell a well-run server from one that takes passwords in clear. They accept no login and
 * no mail; every port is a port-0 listener the lab dialer maps the standard port to.
 */
import type { Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { MailcomplyError } from '../core/errors.js';
import type { IssuedCert, LabCa } from './ca.js';
import { listenTracked, type LabListener } from './smtp-scripted.js';
import { labTls } from './tls-profiles.js';

/** What a lab access host offers. */
export type LabAccessProfile =
  | 'imap-good'
  | 'imap-plaintext'
  | 'submission-good'
  | 'submission-plain-auth'
  | 'pop3-good'
  | 'pop3-plaintext';

/** One lab access host: several profiles may share an address (one certificate per address). */
export interface LabAccessDef {
  address: string;
  hostname: string;
  profile: LabAccessProfile;
}

/** The running lab access servers. */
export interface LabAccess {
  /** address → standard port (993, 587, ...) → loopback port: what labDialer takes. */
  ports: Map<string, Map<number, number>>;
  /** The certificate served at each address. */
  certs: Map<string, IssuedCert>;
  close(): Promise<void>;
}

type Protocol = 'smtp' | 'imap' | 'pop3';

/** One listener of a profile. */
interface PortSpec {
  port: number;
  protocol: Protocol;
  /** TLS from the first byte. */
  implicit: boolean;
  /** STARTTLS (STLS) offered on the clear-text port. */
  starttls: boolean;
  /** AUTH / LOGIN / USER offered before TLS: the fault the probe must flag. */
  loginInClear: boolean;
}

const PROFILES: Record<LabAccessProfile, PortSpec[]> = {
  'imap-good': [
    { port: 993, protocol: 'imap', implicit: true, starttls: false, loginInClear: false },
    { port: 143, protocol: 'imap', implicit: false, starttls: true, loginInClear: false },
  ],
  'imap-plaintext': [{ port: 143, protocol: 'imap', implicit: false, starttls: false, loginInClear: true }],
  'submission-good': [
    { port: 465, protocol: 'smtp', implicit: true, starttls: false, loginInClear: false },
    { port: 587, protocol: 'smtp', implicit: false, starttls: true, loginInClear: false },
  ],
  'submission-plain-auth': [
    { port: 587, protocol: 'smtp', implicit: false, starttls: true, loginInClear: true },
  ],
  'pop3-good': [
    { port: 995, protocol: 'pop3', implicit: true, starttls: false, loginInClear: false },
    { port: 110, protocol: 'pop3', implicit: false, starttls: true, loginInClear: false },
  ],
  'pop3-plaintext': [{ port: 110, protocol: 'pop3', implicit: false, starttls: false, loginInClear: true }],
};

/** Idle clients are dropped after this long: a scanner that forgot its socket is not kept forever. */
const LAB_ACCESS_IDLE_MS = 60_000;
/** Command lines longer than this end the session (IMAP servers allow ~8 KiB; the lab needs far less). */
const LAB_ACCESS_MAX_COMMAND = 2_048;

/** What a protocol does with one command line: lines to send, then maybe TLS or hang up. */
interface Answer {
  send: string[];
  then?: 'upgrade' | 'close';
}

interface Behaviour {
  greeting(secure: boolean): string[];
  handle(line: string, secure: boolean): Answer;
  tooLong: string;
}

function smtp(hostname: string, s: PortSpec): Behaviour {
  const multi = (code: number, texts: string[]) =>
    texts.map((t, i) => `${code}${i === texts.length - 1 ? ' ' : '-'}${t}`);
  return {
    greeting: () => [`220 ${hostname} ESMTP`],
    tooLong: '500 5.5.0 Error: line too long',
    handle(line, secure) {
      switch (line.trim().split(/\s+/, 1)[0]!.toUpperCase()) {
        case 'EHLO': {
          const ext = [hostname, 'PIPELINING', 'SIZE 10240000'];
          if (!secure && s.starttls) ext.push('STARTTLS');
          if (secure || s.loginInClear) ext.push('AUTH PLAIN LOGIN');
          return { send: multi(250, [...ext, 'ENHANCEDSTATUSCODES', '8BITMIME']) };
        }
        case 'HELO':
          return { send: [`250 ${hostname}`] };
        case 'STARTTLS':
          if (secure) return { send: ['503 5.5.1 Error: TLS already active'] };
          if (!s.starttls) return { send: ['502 5.5.1 Error: command not implemented'] };
          return { send: ['220 2.0.0 Ready to start TLS'], then: 'upgrade' };
        case 'AUTH':
          if (!secure && !s.loginInClear) return { send: ['530 5.7.0 Must issue a STARTTLS command first'] };
          return { send: ['535 5.7.8 Error: authentication failed'] };
        case 'MAIL':
        case 'RCPT':
        case 'DATA':
          return { send: ['530 5.7.0 Authentication required'] };
        case 'RSET':
        case 'NOOP':
          return { send: ['250 2.0.0 Ok'] };
        case 'QUIT':
          return { send: ['221 2.0.0 Bye'], then: 'close' };
        default:
          return { send: ['502 5.5.2 Error: command not recognized'] };
      }
    },
  };
}

function imap(hostname: string, s: PortSpec): Behaviour {
  const caps = (secure: boolean) =>
    [
      'IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+',
      !secure && s.starttls ? 'STARTTLS' : '',
      secure || s.loginInClear ? 'AUTH=PLAIN AUTH=LOGIN' : 'LOGINDISABLED',
    ]
      .filter(Boolean)
      .join(' ');
  return {
    greeting: (secure) => [`* OK [CAPABILITY ${caps(secure)}] ${hostname} lab IMAP ready.`],
    tooLong: '* BAD Line too long.',
    handle(line, secure) {
      const [tag = '', verb = ''] = line.trim().split(/\s+/);
      if (!tag || !verb) return { send: ['* BAD Error in IMAP command received by server.'] };
      const refused = !secure && !s.loginInClear;
      switch (verb.toUpperCase()) {
        case 'CAPABILITY':
          return { send: [`* CAPABILITY ${caps(secure)}`, `${tag} OK Pre-login capabilities listed.`] };
        case 'STARTTLS':
          if (secure) return { send: [`${tag} BAD TLS is already active.`] };
          if (!s.starttls) return { send: [`${tag} BAD Unknown command.`] };
          return { send: [`${tag} OK Begin TLS negotiation now.`], then: 'upgrade' };
        case 'LOGIN':
        case 'AUTHENTICATE':
          return {
            send: [
              refused
                ? `${tag} NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections.`
                : `${tag} NO [AUTHENTICATIONFAILED] Authentication failed.`,
            ],
          };
        case 'NOOP':
          return { send: [`${tag} OK NOOP completed.`] };
        case 'LOGOUT':
          return { send: ['* BYE Logging out', `${tag} OK Logout completed.`], then: 'close' };
        default:
          return { send: [`${tag} BAD Error in IMAP command received by server.`] };
      }
    },
  };
}

function pop3(hostname: string, s: PortSpec): Behaviour {
  return {
    greeting: () => [`+OK ${hostname} lab POP3 ready.`],
    tooLong: '-ERR Line too long.',
    handle(line, secure) {
      switch (line.trim().split(/\s+/, 1)[0]!.toUpperCase()) {
        case 'CAPA': {
          const login = secure || s.loginInClear ? ['USER', 'SASL PLAIN LOGIN'] : [];
          const stls = !secure && s.starttls ? ['STLS'] : [];
          return { send: ['+OK', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', ...login, ...stls, '.'] };
        }
        case 'STLS':
          if (secure) return { send: ['-ERR TLS is already active.'] };
          if (!s.starttls) return { send: ['-ERR Unknown command.'] };
          return { send: ['+OK Begin TLS negotiation now.'], then: 'upgrade' };
        case 'USER':
        case 'PASS':
        case 'APOP':
        case 'AUTH':
          return {
            send: [
              !secure && !s.loginInClear
                ? '-ERR [AUTH] Plaintext authentication disallowed on non-secure connections.'
                : '-ERR [AUTH] Authentication failed.',
            ],
          };
        case 'NOOP':
          return { send: ['+OK'] };
        case 'QUIT':
          return { send: ['+OK Logging out.'], then: 'close' };
        default:
          return { send: ['-ERR Unknown command.'] };
      }
    },
  };
}

const BEHAVIOURS: Record<Protocol, (hostname: string, s: PortSpec) => Behaviour> = { smtp, imap, pop3 };

/** One connection: implicit TLS or clear text with STARTTLS, lines answered by the behaviour. */
function session(
  raw: Socket,
  track: (upper: Socket) => void,
  b: Behaviour,
  implicit: boolean,
  secureContext: SecureContext,
): void {
  let socket: Socket = raw;
  let secure = false;
  let buffered = '';
  const write = (lines: string[]) => {
    if (socket.writable && lines.length > 0) socket.write(lines.map((l) => `${l}\r\n`).join(''));
  };
  const toTls = (then: () => void) => {
    raw.off('data', onData);
    raw.setTimeout(0);
    buffered = '';
    const tlsSocket = new TLSSocket(raw, { isServer: true, secureContext });
    track(tlsSocket);
    tlsSocket.on('error', () => tlsSocket.destroy());
    tlsSocket.setTimeout(LAB_ACCESS_IDLE_MS, () => tlsSocket.destroy());
    tlsSocket.once('secure', () => {
      socket = tlsSocket;
      secure = true;
      tlsSocket.on('data', onData);
      then();
    });
  };
  function onData(chunk: Buffer) {
    buffered += chunk.toString('latin1');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      const answer = b.handle(line, secure);
      write(answer.send);
      // Lines pipelined behind STARTTLS were sent in clear: they are dropped, never run inside TLS.
      if (answer.then === 'upgrade') return toTls(() => {});
      if (answer.then === 'close') return void socket.end();
    }
    if (buffered.length > LAB_ACCESS_MAX_COMMAND) {
      write([b.tooLong]);
      socket.destroySoon();
    }
  }
  raw.setTimeout(LAB_ACCESS_IDLE_MS, () => raw.destroySoon());
  if (implicit) return toTls(() => write(b.greeting(true)));
  raw.on('data', onData);
  write(b.greeting(false));
}

/**
 * Starts the listeners of every definition on 127.0.0.1 port 0. Rejects two definitions that claim
 * the same port of the same address.
 * @example const access = await startLabAccess([{ address: '127.0.0.20', hostname: 'mail.example.test', profile: 'imap-good' }], ca);
 */
export async function startLabAccess(defs: LabAccessDef[], ca: LabCa): Promise<LabAccess> {
  const claimed = new Set<string>();
  const jobs: { def: LabAccessDef; spec: PortSpec }[] = [];
  for (const def of defs) {
    for (const spec of PROFILES[def.profile]) {
      const key = `${def.address}|${spec.port}`;
      if (claimed.has(key)) {
        throw new MailcomplyError('E_LAB', `two lab access servers for ${def.address} port ${spec.port}`);
      }
      claimed.add(key);
      jobs.push({ def, spec });
    }
  }
  // One certificate per address, named for the first host defined there, as one mail server would.
  const contexts = new Map<string, Promise<{ cert: IssuedCert; ctx: SecureContext }>>();
  for (const def of defs) {
    if (contexts.has(def.address)) continue;
    contexts.set(
      def.address,
      labTls('none', def.hostname, ca).then((t) => ({ cert: t.cert, ctx: createSecureContext(t.options) })),
    );
  }
  const started = await Promise.allSettled(
    jobs.map(async ({ def, spec }) => {
      const { ctx } = await contexts.get(def.address)!;
      const behaviour = BEHAVIOURS[spec.protocol](def.hostname, spec);
      return listenTracked((socket, track) => session(socket, track, behaviour, spec.implicit, ctx));
    }),
  );
  const listeners = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const close = async () => {
    await Promise.all(listeners.map((l: LabListener) => l.close()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const ports = new Map<string, Map<number, number>>();
  jobs.forEach(({ def, spec }, i) => {
    const r = started[i];
    if (r?.status !== 'fulfilled') return;
    let byPort = ports.get(def.address);
    if (!byPort) ports.set(def.address, (byPort = new Map()));
    byPort.set(spec.port, r.value.port);
  });
  const certs = new Map<string, IssuedCert>();
  for (const [address, p] of contexts) certs.set(address, (await p).cert);
  return { ports, certs, close };
}
