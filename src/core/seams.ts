import type { Resolver } from '../dns/types.js';

/** Everything a check needs from the outside world, injected so the lab and tests can pass their own. */
export interface Seams {
  resolver: Resolver;
  clock: () => Date;
  signal: AbortSignal;
}
