/**
 * The resolver behind the socketmap: cached answers are returned synchronously (no disk, no
 * network), unknown domains are discovered under a deadline well inside Postfix's socketmap timeout,
 * and cached domains are rediscovered in the background before their policies expire.
 */
import type { Logger } from 'pino';
import { describeError } from '../../core/errors.js';
import {
  STS_RESOLVER_ANSWER_TIMEOUT_MS,
  STS_RESOLVER_REFRESH_AFTER_MS,
  STS_RESOLVER_REFRESH_CONCURRENCY,
} from '../../core/limits.js';
import { mapLimit } from '../../core/pool.js';
import { answerFor, domainForKey, type StsAnswer } from './answer.js';
import type { CacheEntry, PolicyCache } from './cache.js';
import { discover, type DiscoverySeams } from './discover.js';

/** Options of `StsResolver`. */
export interface StsResolverOptions {
  cache: PolicyCache;
  seams: DiscoverySeams;
  /** Epoch milliseconds; injected by tests. */
  clock?: () => number;
  /** Longest an uncached lookup waits before answering NOTFOUND (discovery goes on and is cached). */
  answerTimeoutMs?: number;
  /** Age after which a cached domain is rediscovered in the background. */
  refreshAfterMs?: number;
  logger?: Logger;
}

/**
 * Answers TLS policy lookups for recipient domains.
 * @example const r = new StsResolver({ cache, seams: { resolver, dialer } }); await r.lookup('example.org')
 */
export class StsResolver {
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  private readonly clock: () => number;
  private readonly answerTimeoutMs: number;
  private readonly refreshAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: StsResolverOptions) {
    this.clock = o.clock ?? Date.now;
    this.answerTimeoutMs = o.answerTimeoutMs ?? STS_RESOLVER_ANSWER_TIMEOUT_MS;
    this.refreshAfterMs = o.refreshAfterMs ?? STS_RESOLVER_REFRESH_AFTER_MS;
  }

  /**
   * The answer for a Postfix lookup key. A value (not a promise) when the cache can answer, so the
   * server replies without a turn of the event loop.
   */
  lookup(key: string): StsAnswer | Promise<StsAnswer> {
    const domain = domainForKey(key);
    if (!domain) return { kind: 'notfound', reason: 'MTA-STS does not apply to this next hop' };
    const now = this.clock();
    const entry = this.o.cache.get(domain);
    if (entry && (!entry.policy || entry.policy.expiresAt > now)) {
      if (now - entry.checkedAt >= this.refreshAfterMs) void this.refresh(domain).catch(() => undefined);
      return answerFor(entry, now);
    }
    return this.waitFor(domain);
  }

  /** Discovers a domain now (deduplicated with any discovery already running) and caches the result. */
  refresh(domain: string): Promise<CacheEntry> {
    const running = this.inflight.get(domain);
    if (running) return running;
    const work = (async () => {
      const started = this.clock();
      const d = await discover(domain, this.o.seams, started, this.o.cache.get(domain), this.abort.signal);
      if (!this.closed) this.o.cache.put(d.entry);
      this.o.logger?.info(
        { domain, notes: d.notes, fetched: d.fetched, ms: this.clock() - started },
        'mta-sts discovery',
      );
      return d.entry;
    })().finally(() => this.inflight.delete(domain));
    this.inflight.set(domain, work);
    return work;
  }

  /**
   * Rediscovers every cached domain with a policy or DANE that was checked longer ago than the
   * refresh age; returns how many. Domains with neither are rediscovered when next looked up, so
   * a cache full of one-off destinations costs no background traffic.
   */
  async refreshDue(): Promise<number> {
    const now = this.clock();
    const due = [...this.o.cache.all()]
      .filter(
        (e) => (e.policy !== undefined || e.dane !== 'none') && now - e.checkedAt >= this.refreshAfterMs,
      )
      .map((e) => e.domain);
    await mapLimit(due, STS_RESOLVER_REFRESH_CONCURRENCY, (d) =>
      this.refresh(d).catch((err: unknown) => {
        this.o.logger?.warn({ domain: d, err: describeError(err) }, 'mta-sts refresh failed');
      }),
    );
    return due.length;
  }

  /** Runs `refreshDue` every `intervalMs` until close(); the timer does not keep the process alive. */
  startRefresher(intervalMs: number): void {
    if (this.timer) return;
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.refreshDue().finally(() => (running = false));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the refresher and abandons running discoveries (their results are not cached). */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
  }

  private waitFor(domain: string): Promise<StsAnswer> {
    return new Promise<StsAnswer>((resolve) => {
      const timer = setTimeout(
        () => resolve({ kind: 'notfound', reason: 'discovery still running; answered without a policy' }),
        this.answerTimeoutMs,
      );
      this.refresh(domain).then(
        (entry) => {
          clearTimeout(timer);
          resolve(answerFor(entry, this.clock()));
        },
        (err: unknown) => {
          clearTimeout(timer);
          resolve({ kind: 'temp', reason: `discovery failed: ${describeError(err)}` });
        },
      );
    });
  }
}
