/**
 * The submission and mailbox-access probe: one port of one address. Implicit-TLS ports (465, 993,
 * 995) get TLS first, then the greeting and capabilities; STARTTLS ports (587, 143, 110) get the
 * greeting and capabilities in clear, then STARTTLS and the capabilities again. No credentials are
 * ever sent. Whatever the server does, it never throws and never hangs: every phase has a deadline,
 * and every socket is destroyed on every path.
 */
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DialError, type Dialer } from '../../core/dialer.js';
import { InputError, describeError } from '../../core/errors.js';
import { ACCESS_PER_IP_CONNECTIONS } from '../../core/limits.js';
import { mapLimit } from '../../core/pool.js';
import { DEFAULT_PROBE_TIMEOUTS } from '../probe.js';
import { Transcript } from '../session.js';
import { heloNameOrDefault, type ProbeTimeouts } from '../steps.js';
import { HandshakeError, handshake, summarizeTls } from '../tls-inspect.js';
import type { Dialogue, DialogueFactory } from './dialogue.js';
import { imapDialogue } from './imap-dialogue.js';
import { looksLikePlaintextPeer, probeLegacyAccess } from './legacy.js';
import { pop3Dialogue } from './pop3-dialogue.js';
import { ACCESS_PORTS, accessService, type AccessService } from './services.js';
import { smtpDialogue } from './smtp-dialogue.js';
import { AccessError } from './text-session.js';
import type { AccessPhase, AccessPort, AccessProbeResult, AccessProtocol } from './types.js';

/** One port of one address; `host` is the name the certificate must carry (and the SNI sent). */
export interface AccessTarget {
  host: string;
  address: string;
  port: AccessPort;
}

/** How to probe. Only `dialer` is required. */
export interface AccessProbeOptions {
  dialer: Dialer;
  /** Aborts the whole probe, legacy connections included. */
  signal?: AbortSignal;
  timeouts?: Partial<ProbeTimeouts>;
  /** Extra PEM trust anchors, added to the system store. */
  ca?: string[];
  /** Name sent in EHLO on the submission ports; defaults to this machine's host name. */
  heloName?: string;
  /** Try TLS 1.0 and 1.1 in separate connections (default true). */
  legacyTls?: boolean;
}

const DIALOGUES: Record<AccessProtocol, DialogueFactory> = {
  smtp: smtpDialogue,
  imap: imapDialogue,
  pop3: pop3Dialogue,
};

const noop = (): void => {};

/** Probes one submission or access port; the result is evidence, whatever happened. */
export async function probeAccessPort(
  target: AccessTarget,
  o: AccessProbeOptions,
): Promise<AccessProbeResult> {
  const service = accessService(target.port);
  // Only a caller bypassing the types gets here: that is a bug, not something a server did.
  if (!service) throw new InputError(`port ${String(target.port)} is not a submission or access port`);
  const t0 = performance.now();
  const t: ProbeTimeouts = { ...DEFAULT_PROBE_TIMEOUTS, ...definedOnly(o.timeouts ?? {}) };
  const transcript = new Transcript(t0);
  const result: AccessProbeResult = {
    host: target.host,
    address: target.address,
    port: service.port,
    family: isIP(target.address) === 6 ? 6 : 4,
    service: service.name,
    protocol: service.protocol,
    tlsMode: service.tlsMode,
    connect: { ok: false, ms: 0 },
    transcript: transcript.lines,
  };
  const heloName = heloNameOrDefault(o.heloName);
  const ca = o.ca ?? [];
  const signal = o.signal ? { signal: o.signal } : {};

  let socket: Socket;
  try {
    socket = await o.dialer.connect(target.address, service.port, { timeoutMs: t.connect, ...signal });
  } catch (err) {
    const reason = err instanceof DialError ? err.reason : 'unreachable';
    result.connect = { ok: false, reason, ms: elapsed(t0) };
    transcript.add('*', `connect to ${target.address} port ${service.port} failed: ${reason}`);
    return result;
  }
  socket.on('error', noop);
  result.connect = { ok: true, ms: elapsed(t0) };
  transcript.add('*', `connected to ${target.address} port ${service.port} (${service.name})`);

  const run: Run = {
    service,
    host: target.host,
    ca,
    t,
    transcript,
    result,
    phase: service.tlsMode === 'implicit' ? 'tls' : 'greeting',
    tlsAttempted: false,
    dialogue: (s) =>
      DIALOGUES[service.protocol](s, transcript, { protocol: service.protocol, t, heloName, ...signal }),
    ...signal,
  };
  try {
    await (service.tlsMode === 'implicit' ? implicit(run, socket) : starttls(run, socket));
  } catch (err) {
    result.error =
      err instanceof AccessError
        ? { phase: err.phase, reason: err.reason }
        : { phase: run.phase, reason: describeError(err) };
  } finally {
    run.tlsSocket?.destroy();
    socket.destroy();
  }

  // A peer answering the ClientHello in clear text would answer every older version the same way.
  const plaintextPeer = result.error?.phase === 'tls' && looksLikePlaintextPeer(result.error.reason);
  if ((o.legacyTls ?? true) && run.tlsAttempted && !plaintextPeer && !o.signal?.aborted) {
    result.legacyTls = await probeLegacyAccess({
      service,
      dialogue: DIALOGUES[service.protocol],
      host: target.host,
      address: target.address,
      dialer: o.dialer,
      heloName,
      ca,
      t,
      transcript,
      ...signal,
    });
  }
  return result;
}

/**
 * Probes the given ports (default: all six) on every address of a host, at most `perIp` at a time
 * per address. Results come in address order, then port order.
 */
export async function probeAccessHost(
  target: { host: string; addresses: readonly string[] },
  o: AccessProbeOptions & { ports?: readonly AccessPort[]; perIp?: number },
): Promise<AccessProbeResult[]> {
  const ports = o.ports ?? ACCESS_PORTS;
  const perAddress = await Promise.all(
    target.addresses.map((address) =>
      mapLimit(ports, o.perIp ?? ACCESS_PER_IP_CONNECTIONS, (port) =>
        probeAccessPort({ host: target.host, address, port }, o),
      ),
    ),
  );
  return perAddress.flat();
}

interface Run {
  service: AccessService;
  host: string;
  ca: readonly string[];
  t: ProbeTimeouts;
  signal?: AbortSignal;
  transcript: Transcript;
  result: AccessProbeResult;
  phase: AccessPhase;
  tlsSocket?: TLSSocket;
  /** A TLS handshake was started: worth testing legacy versions in separate connections. */
  tlsAttempted: boolean;
  dialogue: (s: Socket | TLSSocket) => Dialogue;
}

async function implicit(run: Run, socket: Socket): Promise<void> {
  run.transcript.add('*', 'TLS handshake (implicit TLS)');
  const tls = await tlsUp(run, socket);
  const d = run.dialogue(tls);
  run.phase = 'greeting';
  await d.greet((g) => (run.result.greeting = g));
  run.phase = 'capability';
  run.result.capabilitiesInTls = await d.capabilities(true);
  run.phase = 'quit';
  await d.quit();
}

async function starttls(run: Run, socket: Socket): Promise<void> {
  const { result, service } = run;
  const d = run.dialogue(socket);
  await d.greet((g) => (result.greeting = g));
  run.phase = 'capability';
  const caps = await d.capabilities(false);
  result.capabilitiesInClear = caps;
  const offered = caps.keywords.includes(service.starttlsKeyword);
  result.starttls = { offered, ok: false };
  if (!offered) {
    run.phase = 'quit';
    return d.quit();
  }
  run.phase = 'starttls';
  const r = await d.startTls();
  result.starttls.reply = r.reply;
  if (!r.ok) {
    await d.quit();
    throw new AccessError('starttls', `${service.starttlsKeyword} offered but answered ${r.reply}`);
  }
  result.starttls.ok = true;
  const early = d.detach();
  if (early.length > 0) {
    run.transcript.add('*', `${early.length} bytes received before TLS, after the go-ahead, were discarded`);
  }
  run.transcript.add('*', 'TLS handshake');
  d.upgrade(await tlsUp(run, socket));
  run.phase = 'capability';
  result.capabilitiesInTls = await d.capabilities(true);
  run.phase = 'quit';
  await d.quit();
}

/** The handshake with the same observing settings as the MX probe: TLS 1.2+ here, older ones apart. */
async function tlsUp(run: Run, socket: Socket): Promise<TLSSocket> {
  run.phase = 'tls';
  run.tlsAttempted = true;
  try {
    run.tlsSocket = await handshake(socket, {
      host: run.host,
      ca: run.ca,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      timeoutMs: run.t.tls,
      ...(run.signal ? { signal: run.signal } : {}),
    });
  } catch (err) {
    const reason = err instanceof HandshakeError ? err.message : describeError(err);
    run.transcript.add('*', reason);
    throw new AccessError('tls', reason);
  }
  run.result.tls = summarizeTls(run.tlsSocket, run.host);
  run.transcript.add('*', `TLS established: ${run.result.tls.protocol} ${run.result.tls.cipher}`);
  return run.tlsSocket;
}

function elapsed(t0: number): number {
  return Math.round(performance.now() - t0);
}

function definedOnly<T extends object>(o: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
