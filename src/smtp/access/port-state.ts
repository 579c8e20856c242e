/**
 * What a probe says about a port, in one word: the basis of the `submission.ports` summary and of
 * which other checks apply.
 */
import type { AccessProbeResult } from './types.js';

/**
 * `open`: greeted normally. `closed`: refused (not offered). `filtered`: no answer to the connect.
 * `rejected`: greeted with a refusal (421, BYE, -ERR). `tls-failed`: implicit TLS did not come up.
 * `no-greeting`: connected, then silence or something that is not the protocol.
 */
export type PortState =
  'open' | 'closed' | 'filtered' | 'unreachable' | 'aborted' | 'rejected' | 'tls-failed' | 'no-greeting';

/** The state of the port `r` probed. */
export function portState(r: AccessProbeResult): PortState {
  if (!r.connect.ok) {
    switch (r.connect.reason) {
      case 'refused':
      case 'reset':
        return 'closed';
      case 'timeout':
        return 'filtered';
      case 'aborted':
        return 'aborted';
      default:
        return 'unreachable';
    }
  }
  if (r.greeting) return r.greeting.ok ? 'open' : 'rejected';
  if (r.tlsMode === 'implicit' && r.error?.phase === 'tls') return 'tls-failed';
  return 'no-greeting';
}

/** How a state reads in a sentence: `465 open`, `110 closed`. */
export const STATE_TEXT: Record<PortState, string> = {
  open: 'open',
  closed: 'closed',
  filtered: 'no answer (filtered)',
  unreachable: 'unreachable',
  aborted: 'not probed (scan stopped)',
  rejected: 'refused the session',
  'tls-failed': 'TLS failed',
  'no-greeting': 'answered without a usable greeting',
};
