import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../../lab/lab.js';
import { answerFor, domainForKey, socketmapReply } from './answer.js';
import { PolicyCache } from './cache.js';
import { STS_LAB_DOMAINS as D, stsLabScenario } from './lab-scenario.js';
import { StsResolver } from './resolver.js';
import type { DiscoverySeams } from './discover.js';

let lab: RunningLab;
let seams: DiscoverySeams;
let dir: string;

beforeAll(async () => {
  lab = await startLab({ scenario: stsLabScenario() });
  seams = { resolver: lab.resolver, dialer: lab.transport!.dialer, ca: [lab.transport!.caPem] };
  dir = mkdtempSync(join(tmpdir(), 'mailcomply-sts-'));
});
afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('domainForKey', () => {
  it.each([
    ['Example.ORG', 'example.org'],
    ['example.org.', 'example.org'],
    ['example.org:2525', 'example.org'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['exa mple.org', undefined],
    ['[mx.example.org]:25', undefined],
    ['[192.0.2.1]', undefined],
    ['.example.org', undefined],
    ['192.0.2.1', undefined],
    ['example.org:smtp', undefined],
    ['bad_name!', undefined],
    ['', undefined],
  ])('%j -> %j', (key, domain) => expect(domainForKey(key)).toBe(domain));
});

describe('socketmapReply', () => {
  it('turns mx patterns into Postfix match= names with SNI', () => {
    expect(
      socketmapReply({ kind: 'secure', match: ['mx1.example.org', '*.example.net'], policyId: 'x' }),
    ).toBe('OK secure match=mx1.example.org:.example.net servername=hostname');
    expect(socketmapReply({ kind: 'dane-only' })).toBe('OK dane-only');
    expect(socketmapReply({ kind: 'notfound', reason: 'x' })).toBe('NOTFOUND ');
    expect(socketmapReply({ kind: 'temp', reason: 'later' })).toBe('TEMP later');
  });

  it('never answers from an expired or non-enforce policy', () => {
    const policy = {
      id: '1',
      mode: 'enforce' as const,
      mx: ['a.example'],
      maxAge: 10,
      fetchedAt: 0,
      expiresAt: 10_000,
    };
    const entry = { domain: 'example.org', dane: 'none' as const, checkedAt: 0, policy };
    expect(answerFor(entry, 9_999).kind).toBe('secure');
    expect(answerFor(entry, 10_000).kind).toBe('notfound');
    expect(answerFor({ ...entry, policy: { ...policy, mode: 'testing' } }, 0).kind).toBe('notfound');
    expect(answerFor({ ...entry, dane: 'all' }, 0).kind).toBe('dane-only');
    expect(answerFor({ ...entry, dane: 'some' }, 0).kind).toBe('dane');
  });
});

describe('StsResolver against the lab', () => {
  it('answers secure for enforce, dane-only for DANE, nothing for testing or no policy', async () => {
    const cache = new PolicyCache(':memory:');
    const r = new StsResolver({ cache, seams });
    try {
      expect(await r.lookup(D.enforce)).toEqual({
        kind: 'secure',
        match: [`*.${D.enforce}`],
        policyId: 'good1',
      });
      expect((await r.lookup(D.dane)).kind).toBe('dane-only');
      expect((await r.lookup(D.testing)).kind).toBe('notfound');
      expect((await r.lookup(D.absent)).kind).toBe('notfound');
      expect(cache.get(D.testing)?.policy?.mode).toBe('testing');
      expect(cache.get(D.absent)?.policy).toBeUndefined();
      // Cached now: the answer is a plain value, not a promise, so it cannot wait on the network.
      const cached = r.lookup(`${D.enforce}:2525`);
      expect(cached).not.toBeInstanceOf(Promise);
      expect(socketmapReply(cached as Awaited<typeof cached>)).toBe(
        `OK secure match=.${D.enforce} servername=hostname`,
      );
    } finally {
      r.close();
      cache.close();
    }
  });

  it('keeps policies across a restart in the SQLite file and answers them without the network', async () => {
    const file = join(dir, 'restart.sqlite');
    const first = new PolicyCache(file);
    const r1 = new StsResolver({ cache: first, seams });
    await r1.lookup(D.enforce);
    r1.close();
    first.close();

    const second = new PolicyCache(file);
    const dead: DiscoverySeams = {
      resolver: { query: () => Promise.reject(new Error('network must not be used')) },
      dialer: { connect: () => Promise.reject(new Error('network must not be used')) },
    };
    const r2 = new StsResolver({ cache: second, seams: dead });
    try {
      const a = r2.lookup(D.enforce);
      expect(a).not.toBeInstanceOf(Promise);
      expect((a as { kind: string }).kind).toBe('secure');
    } finally {
      r2.close();
      second.close();
    }
  });

  it('keeps an unexpired cached policy when the record vanishes and the policy host is unreachable', async () => {
    const cache = new PolicyCache(':memory:');
    let now = Date.UTC(2026, 0, 1);
    const r1 = new StsResolver({ cache, seams, clock: () => now });
    await r1.lookup(D.enforce);
    r1.close();
    const stripped: DiscoverySeams = {
      resolver: {
        query: (name, type, o) =>
          name.startsWith('_mta-sts.')
            ? Promise.resolve({ answers: [], ad: false, rcode: 'NXDOMAIN', cnames: [] } as never)
            : lab.resolver.query(name, type, o),
      },
      dialer: { connect: () => Promise.reject(new Error('blocked')) },
    };
    now += 2 * 3_600_000;
    const r2 = new StsResolver({ cache, seams: stripped, clock: () => now, refreshAfterMs: 1000 });
    try {
      expect(await r2.refreshDue()).toBe(1);
      expect(cache.get(D.enforce)?.policy?.id).toBe('good1');
      expect((r2.lookup(D.enforce) as { kind: string }).kind).toBe('secure');
      // Past max_age the policy is gone for good (RFC 8461 §5.1), and the lookup says not found.
      now += 200 * 86_400_000;
      expect((await r2.lookup(D.enforce)).kind).toBe('notfound');
    } finally {
      r2.close();
      cache.close();
    }
  });

  it('refreshes policies in the background but domains without one only when looked up again', async () => {
    const cache = new PolicyCache(':memory:');
    let now = Date.UTC(2026, 0, 1);
    const r = new StsResolver({ cache, seams, clock: () => now, refreshAfterMs: 60_000 });
    try {
      await r.lookup(D.enforce);
      await r.lookup(D.absent);
      now += 61_000;
      expect(await r.refreshDue()).toBe(1);
      expect(cache.get(D.enforce)?.checkedAt).toBe(now);
      expect(cache.get(D.absent)?.checkedAt).toBe(now - 61_000);
      // A stale entry still answers at once; the rediscovery runs behind it.
      const answer = r.lookup(D.absent);
      expect(answer).not.toBeInstanceOf(Promise);
      await r.refresh(D.absent);
      expect(cache.get(D.absent)?.checkedAt).toBe(now);
    } finally {
      r.close();
      cache.close();
    }
  });

  it('answers not found within the bound when discovery hangs, and caches nothing half-done', async () => {
    const cache = new PolicyCache(':memory:');
    const hang: DiscoverySeams = {
      resolver: {
        query: (_n, _t, o) =>
          new Promise((_, reject) =>
            o?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
          ),
      },
      dialer: seams.dialer,
    };
    const r = new StsResolver({ cache, seams: hang, answerTimeoutMs: 50 });
    const started = Date.now();
    expect((await r.lookup('slow.example')).kind).toBe('notfound');
    expect(Date.now() - started).toBeLessThan(1000);
    r.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cache.get('slow.example')).toBeUndefined();
    cache.close();
  });
});
