/**
 * Fetches an MTA-STS policy the way a careful sender does (RFC 8461 §3.3): addresses through the
 * resolver seam, TCP through the dialer seam, TLS with the certificate checked for `mta-sts.<domain>`,
 * one GET without redirects, at most 64 KiB of `text/plain`, all under one deadline.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { trustContext } from '../../core/trust.js';
import { DialError, type Dialer } from '../../core/dialer.js';
import { describeError } from '../../core/errors.js';
import { MTA_STS_FETCH_TIMEOUT_MS, MTA_STS_MAX_POLICY_BYTES } from '../../core/limits.js';
import type { Resolver } from '../../dns/types.js';
import { summarizeCertificate } from '../../smtp/certificate.js';
import type { PeerCertificate } from '../../smtp/types.js';
import { dnsLookup } from '../tag-list.js';

/** Where a fetch stopped. */
export type MtaStsFetchStage = 'dns' | 'connect' | 'tls' | 'http' | 'size' | 'content-type' | 'redirect';

export interface MtaStsFetchOptions {
  resolver: Resolver;
  dialer: Dialer;
  /** Extra trusted roots (PEM), added to Node's bundled store. */
  ca?: string[];
  signal?: AbortSignal;
  /** Deadline for the whole fetch; defaults to MTA_STS_FETCH_TIMEOUT_MS. */
  timeoutMs?: number;
}

interface FetchCommon {
  url: string;
  /** Milliseconds the fetch took. */
  ms: number;
  /** The address the policy host was reached at. */
  address?: string;
  /** The leaf certificate the HTTPS server presented. */
  certificate?: PeerCertificate;
}

/** A policy body served as RFC 8461 requires. */
export interface MtaStsFetchOk extends FetchCommon {
  ok: true;
  text: string;
  contentType: string;
  status: number;
  bytes: number;
  /** The body was not valid UTF-8 (replacement characters stand in for the bad bytes). */
  invalidUtf8: boolean;
}

/** A fetch a sender would treat as "no policy", with the stage and reason. */
export interface MtaStsFetchFailure extends FetchCommon {
  ok: false;
  stage: MtaStsFetchStage;
  reason: string;
  /** Nothing definite was learned (timeout, abort, resolver failure): a finding says `error`, not `fail`. */
  incomplete: boolean;
  status?: number;
  contentType?: string;
}

export type MtaStsFetchResult = MtaStsFetchOk | MtaStsFetchFailure;

/** Path of the policy file (RFC 8461 §3.3). */
export const MTA_STS_POLICY_PATH = '/.well-known/mta-sts.txt';
// Header values quoted in reasons are cut here: a hostile server chooses them.
const QUOTE_MAX = 120;
const USER_AGENT = 'mailcomply (MTA-STS policy check)';

type Failure = {
  stage: MtaStsFetchStage;
  reason: string;
  incomplete?: boolean;
  status?: number;
  contentType?: string;
};

class Stop extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
  }
}

function clip(s: string): string {
  return s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}…` : s;
}

/** The media type of a Content-Type value, lower case, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt`. Never throws: every failure is a result
 * with the stage it happened in. Sockets and timers are released on every path.
 * @example const r = await fetchMtaStsPolicy('example.org', { resolver, dialer: directDialer });
 */
export async function fetchMtaStsPolicy(domain: string, o: MtaStsFetchOptions): Promise<MtaStsFetchResult> {
  const host = `mta-sts.${domain}`;
  const url = `https://${host}${MTA_STS_POLICY_PATH}`;
  const started = Date.now();
  const timeoutMs = o.timeoutMs ?? MTA_STS_FETCH_TIMEOUT_MS;
  const session = new Session(timeoutMs, o.signal);
  const common: FetchCommon = { url, ms: 0 };
  try {
    const addresses = await session.run('dns', resolveAddresses(host, o.resolver, session.signal));
    const { socket, address } = await session.run('connect', dialFirst(addresses, o.dialer, session));
    common.address = address;
    const tls = await session.run('tls', startTls(socket, host, o.ca ?? [], session, common));
    const res = await session.run('http', get(tls, host, session));
    const body = await session.run('http', readPolicy(res, session));
    return { ok: true, ...common, ...body, ms: Date.now() - started };
  } catch (err) {
    const f: Failure =
      err instanceof Stop
        ? err.failure
        : { stage: session.stage, reason: describeError(err), incomplete: true };
    const out: MtaStsFetchFailure = {
      ok: false,
      ...common,
      stage: f.stage,
      reason: f.reason,
      incomplete: f.incomplete ?? false,
      ms: Date.now() - started,
    };
    if (f.status !== undefined) out.status = f.status;
    if (f.contentType !== undefined) out.contentType = f.contentType;
    return out;
  } finally {
    session.close();
  }
}

/** One fetch's deadline, abort wiring and sockets, so that every exit releases everything. */
class Session {
  readonly signal: AbortSignal;
  stage: MtaStsFetchStage = 'dns';
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly sockets: Socket[] = [];
  private readonly deadline: number;
  private readonly onOuterAbort = () => this.controller.abort('aborted');
  private readonly outer?: AbortSignal;
  private closed = false;

  constructor(
    private readonly timeoutMs: number,
    outer?: AbortSignal,
  ) {
    this.signal = this.controller.signal;
    this.deadline = Date.now() + timeoutMs;
    this.timer = setTimeout(() => this.controller.abort('timeout'), timeoutMs);
    if (outer) {
      this.outer = outer;
      if (outer.aborted) this.controller.abort('aborted');
      else outer.addEventListener('abort', this.onOuterAbort, { once: true });
    }
  }

  remaining(): number {
    return Math.max(1, this.deadline - Date.now());
  }

  /** Why the session was cut short, as a failure of the current stage. */
  abortFailure(): Failure {
    const reason =
      this.signal.reason === 'timeout'
        ? `timed out after ${this.timeoutMs} ms (during ${this.stage})`
        : 'aborted';
    return { stage: this.stage, reason, incomplete: true };
  }

  /** Runs one stage; an abort or timeout rejects it at once with that stage. */
  run<T>(stage: MtaStsFetchStage, work: Promise<T>): Promise<T> {
    this.stage = stage;
    if (this.signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(new Stop(this.abortFailure()));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new Stop(this.abortFailure()));
      this.signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  track(socket: Socket): void {
    // Errors after the result is settled must not surface as unhandled events.
    socket.on('error', () => undefined);
    // A dialer that ignores the abort may hand over a socket after the fetch has ended.
    if (this.closed) socket.destroy();
    else this.sockets.push(socket);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
    if (!this.signal.aborted) this.controller.abort('closed');
    // Outermost first: destroying a TCP socket before the TLS socket wrapping it crashes Node 20
    // (a segmentation fault at exit), so the TLS layer goes before the socket under it.
    for (const s of [...this.sockets].reverse()) s.destroy();
  }
}

async function resolveAddresses(host: string, resolver: Resolver, signal: AbortSignal): Promise<string[]> {
  const ctx = { resolver, signal };
  const [a, aaaa] = await Promise.all([dnsLookup(ctx, host, 'A'), dnsLookup(ctx, host, 'AAAA')]);
  const addresses: string[] = [];
  for (const o of [a, aaaa]) if (o.ok) for (const r of o.result.answers) addresses.push(r.data);
  if (addresses.length > 0) return addresses;
  const failed = [a, aaaa].filter((o) => !o.ok).map((o) => (o.ok ? '' : `${o.type}: ${o.reason}`));
  if (failed.length > 0)
    throw new Stop({ stage: 'dns', reason: `${host}: ${failed.join('; ')}`, incomplete: true });
  const nx = a.ok && a.result.rcode === 'NXDOMAIN';
  throw new Stop({
    stage: 'dns',
    reason: nx ? `${host} does not exist (NXDOMAIN)` : `${host} has no A or AAAA record`,
  });
}

async function dialFirst(
  addresses: string[],
  dialer: Dialer,
  session: Session,
): Promise<{ socket: Socket; address: string }> {
  const failures: string[] = [];
  let definite = false;
  for (const address of addresses) {
    if (session.signal.aborted) break;
    try {
      const socket = await dialer.connect(address, 443, {
        signal: session.signal,
        timeoutMs: session.remaining(),
      });
      session.track(socket);
      return { socket, address };
    } catch (err) {
      const reason = err instanceof DialError ? err.reason : describeError(err);
      if (reason !== 'timeout' && reason !== 'aborted') definite = true;
      failures.push(`${address} port 443: ${reason}`);
    }
  }
  throw new Stop({
    stage: 'connect',
    reason: failures.join('; ') || 'no address tried',
    incomplete: !definite,
  });
}

function startTls(socket: Socket, host: string, ca: string[], session: Session, common: FetchCommon) {
  return new Promise<TLSSocket>((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      servername: host,
      secureContext: trustContext(ca),
      // Both checked below, apart, so the reason (untrusted chain or wrong name) is reported precisely.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ALPNProtocols: ['http/1.1'],
    });
    session.track(tls);
    const fail = (reason: string) => reject(new Stop({ stage: 'tls', reason }));
    const onClose = () => fail('the server closed the connection during the TLS handshake');
    tls.once('error', (err) => fail(`TLS handshake failed: ${describeError(err)}`));
    tls.once('close', onClose);
    tls.once('secureConnect', () => {
      tls.off('close', onClose);
      const peer = tls.getPeerCertificate(true);
      const cert = peer?.raw ? summarizeCertificate(peer.raw) : undefined;
      if (cert) common.certificate = cert;
      if (!peer?.raw) return fail('the server presented no certificate');
      if (!tls.authorized) {
        return fail(`the certificate is not trusted: ${String(tls.authorizationError ?? 'unknown reason')}`);
      }
      if (checkServerIdentity(host, peer) !== undefined) {
        const names = cert?.subjectAltNames.join(', ') || '(none)';
        return fail(`the certificate is not valid for ${host} (names in it: ${clip(names)})`);
      }
      resolve(tls);
    });
  });
}

function get(tls: TLSSocket, host: string, session: Session) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({
      host,
      path: MTA_STS_POLICY_PATH,
      method: 'GET',
      setHost: false,
      headers: { host, 'user-agent': USER_AGENT, accept: 'text/plain', connection: 'close' },
      createConnection: () => tls,
    });
    const onAbort = () => req.destroy();
    session.signal.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => session.signal.removeEventListener('abort', onAbort));
    req.on('error', (err) =>
      reject(new Stop({ stage: 'http', reason: `HTTP request failed: ${describeError(err)}` })),
    );
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const contentType = String(res.headers['content-type'] ?? '');
      const withMeta = (f: Failure): Failure => ({ ...f, status, ...(contentType ? { contentType } : {}) });
      if (status >= 300 && status < 400) {
        const to = res.headers.location ? ` to ${JSON.stringify(clip(res.headers.location))}` : '';
        return reject(
          new Stop(
            withMeta({
              stage: 'redirect',
              reason: `HTTP ${status} redirect${to}; senders must not follow redirects (RFC 8461 §3.3)`,
            }),
          ),
        );
      }
      if (status !== 200)
        return reject(new Stop(withMeta({ stage: 'http', reason: `HTTP status ${status}, expected 200` })));
      if (mediaType(contentType) !== 'text/plain') {
        const seen = contentType ? `"${clip(contentType)}"` : 'missing';
        return reject(
          new Stop(
            withMeta({
              stage: 'content-type',
              reason: `Content-Type is ${seen}; RFC 8461 §3.2 requires text/plain`,
            }),
          ),
        );
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > MTA_STS_MAX_POLICY_BYTES) {
        return reject(
          new Stop(
            withMeta({
              stage: 'size',
              reason: `Content-Length ${declared} exceeds the ${MTA_STS_MAX_POLICY_BYTES}-byte limit`,
            }),
          ),
        );
      }
      resolve(res);
    });
    req.end();
  });
}

function readPolicy(res: IncomingMessage, session: Session) {
  const status = res.statusCode ?? 0;
  const contentType = String(res.headers['content-type'] ?? '');
  return new Promise<Omit<MtaStsFetchOk, keyof FetchCommon | 'ok'>>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const fail = (stage: MtaStsFetchStage, reason: string) =>
      reject(new Stop({ stage, reason, status, contentType }));
    const onAbort = () => res.destroy();
    session.signal.addEventListener('abort', onAbort, { once: true });
    res.once('close', () => session.signal.removeEventListener('abort', onAbort));
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MTA_STS_MAX_POLICY_BYTES) {
        res.destroy();
        return fail(
          'size',
          `the body exceeds the ${MTA_STS_MAX_POLICY_BYTES}-byte limit; reading stopped there`,
        );
      }
      chunks.push(chunk);
    });
    res.on('error', (err) => fail('http', `reading the body failed: ${describeError(err)}`));
    res.once('end', () => {
      const raw = Buffer.concat(chunks);
      let text: string;
      let invalidUtf8 = false;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      } catch {
        invalidUtf8 = true;
        text = new TextDecoder('utf-8').decode(raw);
      }
      resolve({ text, contentType, status, bytes, invalidUtf8 });
    });
    res.once('close', () => {
      if (!res.complete) fail('http', 'the server closed the connection before the body was complete');
    });
  });
}
