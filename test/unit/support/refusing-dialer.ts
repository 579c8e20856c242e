/**
 * A dialer that lets the first connection through and refuses every later one, as a server that
 * stopped listening mid-probe would: it reaches the probes' legacy-TLS connections alone.
 */
import { DialError, type Dialer } from '../../../src/core/dialer.js';

/** Wraps `inner`: the first connect goes through, later ones fail as refused. */
export function refusingAfterFirst(inner: Dialer): Dialer {
  let calls = 0;
  return {
    connect(host, port, options) {
      calls += 1;
      if (calls === 1) return inner.connect(host, port, options);
      return Promise.reject(new DialError('refused', `connect to port ${port} failed: ECONNREFUSED`));
    },
  };
}
