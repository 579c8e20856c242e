import { describe, expect, it } from 'vitest';
import { MemoryResolver } from '../../src/dns/memory-resolver.js';
import { scanDomain, scanDomains } from '../../src/domain/scan.js';
import type { DnsResult, Resolver, RRType } from '../../src/dns/types.js';

const empty = new MemoryResolver({ records: [], signedZones: [] });

describe('scanDomain input handling', () => {
  it.each(['', 'exa mple.org', 'a'.repeat(64) + '.org', `${'a.'.repeat(130)}org`, '192.0.2.1', '-bad-.org'])(
    'turns the invalid name %j into one scan.domain error finding',
    async (input) => {
      const r = await scanDomain(input, { resolver: empty });
      expect(r.findings).toHaveLength(1);
      expect(r.findings[0]?.id).toBe('scan.domain');
      expect(r.findings[0]?.status).toBe('error');
    },
  );

  it('converts IDNs to punycode and keeps what was typed', async () => {
    const r = await scanDomain('Bücher.Example.', { resolver: empty });
    expect(r.domain).toBe('xn--bcher-kva.example');
    expect(r.input).toBe('Bücher.Example.');
  });

  it('ends a domain whose resolver never answers at the timeout, with error findings per check', async () => {
    const hanging: Resolver = {
      query<T extends RRType>(): Promise<DnsResult<T>> {
        return new Promise(() => {});
      },
    };
    const t0 = Date.now();
    const r = await scanDomain('example.org', { resolver: hanging, timeoutS: 0.3 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.findings.length).toBeGreaterThanOrEqual(7);
    expect(r.findings.every((f) => f.status === 'error' && f.id.endsWith('.timeout'))).toBe(true);
  });

  it('keeps input order and bounds concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow: Resolver = {
      async query(name, type, o) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        return empty.query(name, type, o);
      },
    };
    const names = Array.from({ length: 30 }, (_, i) => `d${i}.example`);
    const out = await scanDomains(names, { resolver: slow, concurrency: 3 });
    expect(out.map((r) => r.domain)).toEqual(names);
    // each domain runs its checks in parallel, so bound by domains x checks' parallel queries
    expect(peak).toBeLessThanOrEqual(3 * 40);
  });
});
