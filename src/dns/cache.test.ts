import { describe, expect, it } from 'vitest';
import { DnsError } from '../core/errors.js';
import { CachingResolver } from './cache.js';
import { MemoryResolver } from './memory-resolver.js';
import type { DnsResult, QueryOptions, Resolver, RRType } from './types.js';

/** A resolver whose answers the test releases by hand, counting what reaches it. */
class GatedResolver implements Resolver {
  calls: { name: string; type: RRType; signal?: AbortSignal }[] = [];
  private gates: { resolve: (r: DnsResult) => void; reject: (e: unknown) => void }[] = [];

  query<T extends RRType>(name: string, type: T, options?: QueryOptions): Promise<DnsResult<T>> {
    this.calls.push({ name, type, ...(options?.signal ? { signal: options.signal } : {}) });
    return new Promise<DnsResult<T>>((resolve, reject) => {
      this.gates.push({ resolve: resolve as (r: DnsResult) => void, reject });
      options?.signal?.addEventListener('abort', () => reject(new DnsError('E_DNS_ABORTED', 'aborted')), {
        once: true,
      });
    });
  }

  answer(i: number, rcode = 'NOERROR'): void {
    const call = this.calls[i];
    if (!call) throw new Error('no such call');
    this.gates[i]?.resolve({
      name: call.name,
      type: call.type,
      rcode,
      ad: false,
      answers: [],
      cnames: [],
      tcp: false,
      server: 'gate',
    });
  }

  fail(i: number, err: unknown): void {
    this.gates[i]?.reject(err);
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CachingResolver', () => {
  it('asks once per name and type, case- and trailing-dot-insensitively', async () => {
    const inner = new MemoryResolver({
      records: [{ name: 'example.org', type: 'A', ttl: 1, data: '192.0.2.1' }],
      signedZones: [],
    });
    const cache = new CachingResolver(inner);
    const a = await cache.query('example.org', 'A');
    const b = await cache.query('EXAMPLE.org.', 'A');
    await cache.query('example.org', 'MX');
    expect(b).toBe(a);
    expect(inner.log).toHaveLength(2);
    expect(cache.stats()).toEqual({ queries: 3, hits: 1 });
  });

  it('shares one query among concurrent callers', async () => {
    const inner = new GatedResolver();
    const cache = new CachingResolver(inner);
    const all = Promise.all([1, 2, 3].map(() => cache.query('x.test', 'TXT')));
    await tick();
    expect(inner.calls).toHaveLength(1);
    inner.answer(0, 'NXDOMAIN');
    const results = await all;
    expect(results.map((r) => r.rcode)).toEqual(['NXDOMAIN', 'NXDOMAIN', 'NXDOMAIN']);
    expect(cache.stats()).toEqual({ queries: 3, hits: 2 });
  });

  it('keeps a failure cached, so a timed-out name is not asked again', async () => {
    const inner = new GatedResolver();
    const cache = new CachingResolver(inner);
    const first = cache.query('slow.test', 'A');
    await tick();
    inner.fail(0, new DnsError('E_DNS_TIMEOUT', 'no answer'));
    await expect(first).rejects.toMatchObject({ code: 'E_DNS_TIMEOUT' });
    await expect(cache.query('slow.test', 'A')).rejects.toMatchObject({ code: 'E_DNS_TIMEOUT' });
    expect(inner.calls).toHaveLength(1);
  });

  it('lets one caller abort without failing the others, and does not cache the abort', async () => {
    const inner = new GatedResolver();
    const cache = new CachingResolver(inner);
    const quitter = new AbortController();
    const first = cache.query('a.test', 'A', { signal: quitter.signal });
    const second = cache.query('a.test', 'A');
    await tick();
    expect(inner.calls).toHaveLength(1);
    quitter.abort();
    await expect(first).rejects.toMatchObject({ code: 'E_DNS_ABORTED' });
    // The shared query carried the quitter's signal and was aborted; the patient caller asks again.
    await tick();
    expect(inner.calls).toHaveLength(2);
    expect(inner.calls[1]?.signal).toBeUndefined();
    inner.answer(1);
    await expect(second).resolves.toMatchObject({ rcode: 'NOERROR' });
    await expect(cache.query('a.test', 'A')).resolves.toMatchObject({ rcode: 'NOERROR' });
    expect(inner.calls).toHaveLength(2);
  });

  it('rejects at once for a caller whose signal is already aborted', async () => {
    const cache = new CachingResolver(new GatedResolver());
    const ac = new AbortController();
    ac.abort();
    await expect(cache.query('b.test', 'A', { signal: ac.signal })).rejects.toMatchObject({
      code: 'E_DNS_ABORTED',
    });
  });
});
