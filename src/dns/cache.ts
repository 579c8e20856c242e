import { DnsError } from '../core/errors.js';
import { AbortHub } from './abort-hub.js';
import type { DnsResult, QueryOptions, Resolver, RRType } from './types.js';
import { wireName } from './wire.js';

/** Counters of a `CachingResolver`: calls made to it, and how many were served from the cache. */
export interface CacheStats {
  queries: number;
  hits: number;
}

/**
 * Remembers every answer of the wrapped resolver for the life of the object (one per scan):
 * concurrent identical queries share one network query, and failures stay cached too, so a
 * timed-out name is not asked again by every check. Aborts are not cached: they belong to the
 * caller that gave up, not to the name.
 */
export class CachingResolver implements Resolver {
  private readonly entries = new Map<string, Promise<DnsResult>>();
  private queries = 0;
  private hits = 0;
  private readonly aborts = new AbortHub();

  constructor(private readonly inner: Resolver) {}

  /** Answers from the cache, or asks the wrapped resolver once per (name, type). */
  async query<T extends RRType>(name: string, type: T, options?: QueryOptions): Promise<DnsResult<T>> {
    this.queries++;
    const key = `${type} ${wireName(name)}`;
    const signal = options?.signal;
    // One re-ask at most: when the caller that started the shared query aborted, a caller that did
    // not abort gets its own query instead of someone else's E_DNS_ABORTED.
    for (let round = 0; ; round++) {
      let entry = this.entries.get(key);
      if (entry) {
        this.hits++;
      } else {
        entry = this.inner.query(name, type, options) as Promise<DnsResult>;
        this.entries.set(key, entry);
        const started = entry;
        started.catch((err: unknown) => {
          if (isAbort(err) && this.entries.get(key) === started) this.entries.delete(key);
        });
      }
      try {
        return (await withSignal(entry, signal, type, this.aborts)) as DnsResult<T>;
      } catch (err) {
        if (round === 0 && isAbort(err) && !signal?.aborted) continue;
        throw err;
      }
    }
  }

  /** How many queries were asked of this cache and how many it answered without asking again. */
  stats(): CacheStats {
    return { queries: this.queries, hits: this.hits };
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof DnsError && err.code === 'E_DNS_ABORTED';
}

/** Lets one caller stop waiting on a shared promise without cancelling it for the others. */
function withSignal<R>(
  promise: Promise<R>,
  signal: AbortSignal | undefined,
  type: RRType,
  hub: AbortHub,
): Promise<R> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new DnsError('E_DNS_ABORTED', `${type} query aborted`));
  return new Promise<R>((resolve, reject) => {
    const unwatch = hub.watch(signal, () => reject(new DnsError('E_DNS_ABORTED', `${type} query aborted`)));
    promise.then(
      (value) => {
        unwatch();
        resolve(value);
      },
      (err: unknown) => {
        unwatch();
        reject(err);
      },
    );
  });
}
