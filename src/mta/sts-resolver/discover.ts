/**
 * Policy discovery for one recipient domain, as RFC 8461 §3 and §5.1 describe it for a sender with
 * a cache: the `_mta-sts` TXT id decides whether the policy is fetched again; a failed fetch or a
 * vanished record keeps an unexpired cached policy (that is the point of caching against DNS
 * stripping); and the MX hosts' TLSA records decide whether DANE takes precedence.
 */
import type { Dialer } from '../../core/dialer.js';
import { STS_RESOLVER_MAX_MX } from '../../core/limits.js';
import { fetchMtaStsPolicy } from '../../domain/mta-sts/fetch.js';
import { parseMtaStsPolicy } from '../../domain/mta-sts/parse.js';
import { lookupMtaStsRecord } from '../../domain/mta-sts/record.js';
import { lookupTlsa } from '../../domain/dane/tlsa.js';
import { dnsLookup } from '../../domain/tag-list.js';
import type { Resolver } from '../../dns/types.js';
import type { CacheEntry, CachedPolicy } from './cache.js';

/** The network seams discovery uses. */
export interface DiscoverySeams {
  resolver: Resolver;
  dialer: Dialer;
  /** Extra trusted roots (PEM) for the policy host's certificate. */
  ca?: string[];
  /** Deadline for a policy fetch. */
  fetchTimeoutMs?: number;
}

/** A discovery's result: the entry to cache and what happened, for logs and `mta-sts query`. */
export interface Discovery {
  entry: CacheEntry;
  /** One line per step, without personal data. */
  notes: string[];
  /** Whether the policy itself was fetched (not only the TXT id checked). */
  fetched: boolean;
}

/**
 * Discovers a domain's MTA-STS policy and DANE status, starting from `previous` (the cached entry).
 * Never throws: failures are notes, and the previous policy is kept while it is unexpired.
 */
export async function discover(
  domain: string,
  seams: DiscoverySeams,
  now: number,
  previous?: CacheEntry,
  signal?: AbortSignal,
): Promise<Discovery> {
  const notes: string[] = [];
  const live = previous?.policy && previous.policy.expiresAt > now ? previous.policy : undefined;
  const [found, dane] = await Promise.all([
    discoverPolicy(domain, seams, now, live, notes, signal),
    discoverDane(domain, seams.resolver, notes, signal),
  ]);
  const entry: CacheEntry = { domain, dane, checkedAt: now };
  if (found.policy) entry.policy = found.policy;
  return { entry, notes, fetched: found.fetched };
}

async function discoverPolicy(
  domain: string,
  seams: DiscoverySeams,
  now: number,
  live: CachedPolicy | undefined,
  notes: string[],
  signal?: AbortSignal,
): Promise<{ policy?: CachedPolicy; fetched: boolean }> {
  const keep = (why: string) => {
    notes.push(live ? `${why}; the cached policy (id ${live.id}) stays in use` : why);
    return live ? { policy: live, fetched: false } : { fetched: false };
  };
  const record = await lookupMtaStsRecord(domain, seams.resolver, signal);
  if (record.state === 'error') return keep(`_mta-sts lookup failed: ${record.reason}`);
  if (record.state === 'absent') return keep('no _mta-sts record');
  if (record.state === 'invalid') return keep(`_mta-sts record invalid: ${record.problems.join('; ')}`);
  // Unchanged id and more than half the lifetime left: the policy need not be fetched again (§5.1).
  if (live && live.id === record.id && live.expiresAt - now > (live.maxAge * 1000) / 2) {
    notes.push(`_mta-sts id ${record.id} unchanged; cached policy kept`);
    return { policy: live, fetched: false };
  }
  const got = await fetchMtaStsPolicy(domain, {
    resolver: seams.resolver,
    dialer: seams.dialer,
    ...(seams.ca ? { ca: seams.ca } : {}),
    ...(signal ? { signal } : {}),
    ...(seams.fetchTimeoutMs ? { timeoutMs: seams.fetchTimeoutMs } : {}),
  });
  if (!got.ok) return keep(`policy fetch failed (${got.stage}): ${got.reason}`);
  const parsed = parseMtaStsPolicy(got.text);
  if (!parsed.valid || parsed.mode === undefined || parsed.maxAge === undefined) {
    return keep(`policy rejected: ${parsed.errors.join('; ')}`);
  }
  notes.push(`policy fetched: id ${record.id}, mode ${parsed.mode}, max_age ${parsed.maxAge}`);
  return {
    policy: {
      id: record.id,
      mode: parsed.mode,
      mx: parsed.mx,
      maxAge: parsed.maxAge,
      fetchedAt: now,
      expiresAt: now + parsed.maxAge * 1000,
    },
    fetched: true,
  };
}

/** `all` when every MX host looked at has DNSSEC-authenticated TLSA records, `some` when one has. */
async function discoverDane(
  domain: string,
  resolver: Resolver,
  notes: string[],
  signal?: AbortSignal,
): Promise<CacheEntry['dane']> {
  const ctx = { resolver, signal: signal ?? new AbortController().signal };
  const mx = await dnsLookup(ctx, domain, 'MX');
  if (!mx.ok) {
    notes.push(`MX lookup failed: ${mx.reason}`);
    return 'none';
  }
  const hosts = mx.result.answers
    .map((a) => a.data.exchange.toLowerCase().replace(/\.$/, ''))
    .filter((h) => h !== '')
    .slice(0, STS_RESOLVER_MAX_MX);
  if (hosts.length === 0) return 'none';
  const tlsa = await Promise.all(hosts.map((h) => lookupTlsa(h, resolver, signal)));
  const secure = tlsa.filter((t) => t.ad && t.records.length > 0 && !t.error).length;
  if (secure > 0) notes.push(`${secure} of ${hosts.length} MX hosts have DNSSEC-authenticated TLSA records`);
  return secure === 0 ? 'none' : secure === hosts.length ? 'all' : 'some';
}
