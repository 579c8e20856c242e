/**
 * The SMTP probe: connect, banner, EHLO, STARTTLS, TLS, EHLO again, VRFY/EXPN, optional relay test,
 * QUIT; then TLS 1.0/1.1 in separate connections. Never throws, never hangs: every phase has a
 * deadline, every socket is destroyed on every path, and a failure is recorded as `error`.
 */
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DialError, type Dialer } from '../core/dialer.js';
import { describeError } from '../core/errors.js';
import {
  SMTP_BANNER_TIMEOUT_MS,
  SMTP_COMMAND_TIMEOUT_MS,
  SMTP_CONNECT_TIMEOUT_MS,
  SMTP_QUIT_TIMEOUT_MS,
  SMTP_TLS_TIMEOUT_MS,
} from '../core/limits.js';
import { probeLegacyTls } from './legacy-tls.js';
import { probeRelay, probeVrfy } from './relay.js';
import { PhaseError, SmtpSession, Transcript } from './session.js';
import {
  heloNameOrDefault,
  readBanner,
  replySummary,
  sayEhlo,
  tryQuit,
  type ProbeTimeouts,
} from './steps.js';
import { HandshakeError, handshake, summarizeTls } from './tls-inspect.js';
import type { ProbePhase, SmtpProbeResult } from './types.js';

export type { ProbeTimeouts } from './steps.js';

/** Where to probe: the MX host name (for SNI and the name check) and one of its addresses. */
export interface ProbeTarget {
  host: string;
  address: string;
  /** Defaults to 25. */
  port?: number;
}

/** How to probe. Only `dialer` is required. */
export interface ProbeOptions {
  dialer: Dialer;
  /** Aborts the whole probe, legacy connections included. */
  signal?: AbortSignal;
  timeouts?: Partial<ProbeTimeouts>;
  /** Name sent in EHLO (a host name or address literal); defaults to this machine's host name. */
  heloName?: string;
  /** Extra PEM trust anchors, added to the system store. */
  ca?: string[];
  /** Try TLS 1.0 and 1.1 in separate connections (default true). */
  legacyTls?: boolean;
  /** Send `VRFY postmaster` and `EXPN postmaster` (default true). */
  vrfy?: boolean;
  /** Open-relay test (off unless given): MAIL FROM/RCPT TO with foreign addresses, never DATA. */
  relay?: { from: string; to: string };
}

/** The default phase timeouts, ms. */
export const DEFAULT_PROBE_TIMEOUTS: Readonly<ProbeTimeouts> = {
  connect: SMTP_CONNECT_TIMEOUT_MS,
  banner: SMTP_BANNER_TIMEOUT_MS,
  command: SMTP_COMMAND_TIMEOUT_MS,
  tls: SMTP_TLS_TIMEOUT_MS,
  quit: SMTP_QUIT_TIMEOUT_MS,
};

const noop = (): void => {};

/** Probes one address of one MX host; the result is evidence, whatever happened. */
export async function probeSmtp(target: ProbeTarget, o: ProbeOptions): Promise<SmtpProbeResult> {
  const t0 = performance.now();
  const t: ProbeTimeouts = { ...DEFAULT_PROBE_TIMEOUTS, ...definedOnly(o.timeouts ?? {}) };
  const transcript = new Transcript(t0);
  const port = target.port ?? 25;
  const result: SmtpProbeResult = {
    host: target.host,
    address: target.address,
    port,
    family: isIP(target.address) === 6 ? 6 : 4,
    connect: { ok: false, ms: 0 },
    transcript: transcript.lines,
  };
  const heloName = heloNameOrDefault(o.heloName);
  const ca = o.ca ?? [];

  let socket: Socket;
  try {
    socket = await o.dialer.connect(target.address, port, {
      timeoutMs: t.connect,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (err) {
    const reason = err instanceof DialError ? err.reason : 'unreachable';
    result.connect = { ok: false, reason, ms: elapsed(t0) };
    result.error = { phase: 'connect', reason: `${reason}: ${describeError(err)}` };
    transcript.add('*', `connect to ${target.address} port ${port} failed: ${reason}`);
    return result;
  }
  socket.on('error', noop);
  result.connect = { ok: true, ms: elapsed(t0) };
  transcript.add('*', `connected to ${target.address} port ${port}`);
  if (o.heloName !== undefined && heloName !== o.heloName) {
    transcript.add('*', 'EHLO name option ignored: not a host name');
  }

  const session = new SmtpSession(socket, transcript, o.signal);
  const state: { phase: ProbePhase; tlsSocket?: TLSSocket } = { phase: 'banner' };
  try {
    await converse(session, socket, target.host, { heloName, ca, t, o, result, state });
  } catch (err) {
    result.error =
      err instanceof PhaseError
        ? { phase: err.phase, reason: err.reason }
        : { phase: state.phase, reason: describeError(err) };
  } finally {
    state.tlsSocket?.destroy();
    socket.destroy();
  }

  // Only worth new connections when STARTTLS itself was accepted: the handshake is what is tested.
  if ((o.legacyTls ?? true) && result.starttls?.ok && !o.signal?.aborted) {
    result.legacyTls = await probeLegacyTls({
      host: target.host,
      address: target.address,
      port,
      dialer: o.dialer,
      heloName,
      ca,
      timeouts: t,
      transcript,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }
  return result;
}

interface ConverseContext {
  heloName: string;
  ca: readonly string[];
  t: ProbeTimeouts;
  o: ProbeOptions;
  result: SmtpProbeResult;
  state: { phase: ProbePhase; tlsSocket?: TLSSocket };
}

async function converse(
  session: SmtpSession,
  socket: Socket,
  host: string,
  c: ConverseContext,
): Promise<void> {
  const { t, result, state } = c;
  await readBanner(session, t, (b) => (result.banner = { code: b.code, text: b.lines }));

  state.phase = 'ehlo';
  result.ehlo = await sayEhlo(session, c.heloName, t);
  const offered = result.ehlo.extensions.includes('STARTTLS');
  result.starttls = { offered, ok: false };

  if (offered) {
    state.phase = 'starttls';
    const r = await session.command('starttls', 'STARTTLS', t.command);
    result.starttls.code = r.code;
    if (r.code !== 220) {
      result.starttls.error = replySummary(r);
      await tryQuit(session, t);
      throw new PhaseError('starttls', `STARTTLS offered but answered ${replySummary(r)}`);
    }
    result.starttls.ok = true;
    const early = session.detach();
    if (early.length > 0) {
      session.transcript.add('*', `${early.length} bytes received after 220 and before TLS were discarded`);
    }
    state.phase = 'tls';
    session.transcript.add('*', 'TLS handshake');
    try {
      state.tlsSocket = await handshake(socket, {
        host,
        ca: c.ca,
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.3',
        timeoutMs: t.tls,
        ...(c.o.signal ? { signal: c.o.signal } : {}),
      });
    } catch (err) {
      const reason = err instanceof HandshakeError ? err.message : describeError(err);
      session.transcript.add('*', reason);
      throw new PhaseError('tls', reason);
    }
    result.tls = summarizeTls(state.tlsSocket, host);
    session.transcript.add('*', `TLS established: ${result.tls.protocol} ${result.tls.cipher}`);
    session.upgrade(state.tlsSocket);
    state.phase = 'ehlo';
    result.ehloAfterTls = await sayEhlo(session, c.heloName, t, 'EHLO after STARTTLS');
  }

  if (c.o.vrfy ?? true) {
    state.phase = 'vrfy';
    Object.assign(result, await probeVrfy(session, t));
  }
  if (c.o.relay) {
    state.phase = 'relay';
    result.relay = await probeRelay(session, c.o.relay, t);
  }
  state.phase = 'quit';
  await session.command('quit', 'QUIT', t.quit);
}

function elapsed(t0: number): number {
  return Math.round(performance.now() - t0);
}

function definedOnly<T extends object>(o: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
