import { connect, type Socket } from 'node:net';
import { MailcomplyError } from './errors.js';

export interface DialOptions {
  signal?: AbortSignal;
  /** Time allowed for the TCP handshake. */
  timeoutMs: number;
}

/**
 * The TCP seam: opens a connection to host:port. Production dials directly; the lab maps MX
 * addresses and port 25 to loopback ports, so nothing needs port 25 or root.
 */
export interface Dialer {
  connect(host: string, port: number, options: DialOptions): Promise<Socket>;
}

export class DialError extends MailcomplyError {
  /** `refused`, `timeout`, `unreachable`, `reset` or `aborted`: what a finding reports. */
  readonly reason: 'refused' | 'timeout' | 'unreachable' | 'reset' | 'aborted';
  constructor(reason: DialError['reason'], message: string, options?: { cause?: unknown }) {
    super('E_NET_CONNECT', message, options);
    this.reason = reason;
  }
}

/** Dials directly with node:net, turning failures into DialError reasons. */
export const directDialer: Dialer = {
  connect(host, port, { signal, timeoutMs }) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new DialError('aborted', 'connection aborted'));
      const socket = connect({ host, port });
      const fail = (err: DialError) => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new DialError('timeout', `connect to port ${port} timed out`)),
        timeoutMs,
      );
      const onAbort = () => fail(new DialError('aborted', 'connection aborted'));
      const onError = (err: NodeJS.ErrnoException) => {
        const reason =
          err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ECONNRESET' ? 'reset' : 'unreachable';
        fail(new DialError(reason, `connect to port ${port} failed: ${err.code ?? 'error'}`, { cause: err }));
      };
      const onConnect = () => {
        cleanup();
        resolve(socket);
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        socket.off('connect', onConnect);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', onConnect);
    });
  },
};
