import { describe, expect, it } from 'vitest';
import { DnsError, InputError } from '../../core/errors.js';
import type { DnsRecord, Resolver } from '../../dns/types.js';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import type { FailureMode } from '../../dns/zone-data.js';
import { checkHost, spfIdentity } from './evaluate.js';

const txt = (name: string, text: string): DnsRecord => ({
  name,
  type: 'TXT',
  ttl: 300,
  data: { text, strings: [text] },
});
const a = (name: string, address: string): DnsRecord => ({ name, type: 'A', ttl: 300, data: address });

function resolver(records: DnsRecord[], failures: Record<string, FailureMode> = {}): MemoryResolver {
  return new MemoryResolver({ records, signedZones: [], failures });
}

describe('checkHost', () => {
  it('passes a listed address and fails another, naming the deciding term', async () => {
    const r = resolver([txt('example.org', 'v=spf1 ip4:192.0.2.0/24 -all')]);
    const ok = await checkHost('192.0.2.7', 'example.org', 'a@example.org', {
      resolver: r,
      helo: 'h.example.org',
    });
    expect(ok).toMatchObject({
      result: 'pass',
      mechanism: 'ip4:192.0.2.0/24',
      domain: 'example.org',
      lookups: 0,
    });
    const bad = await checkHost('198.51.100.1', 'example.org', 'a@example.org', {
      resolver: r,
      helo: 'h.example.org',
    });
    expect(bad).toMatchObject({ result: 'fail', mechanism: '-all' });
  });

  it('turns SERVFAIL and timeouts into temperror with a reason', async () => {
    const r = resolver([txt('example.org', 'v=spf1 include:broken.example.net -all')], {
      'broken.example.net': 'servfail',
      'slow.example.net': 'timeout',
    });
    const res = await checkHost('192.0.2.1', 'example.org', 'a@example.org', { resolver: r, helo: 'h' });
    expect(res).toMatchObject({ result: 'temperror', lookups: 1 });
    expect(res.reason).toMatch(/SERVFAIL/);
    const slow = await checkHost('192.0.2.1', 'slow.example.net', 'a@slow.example.net', {
      resolver: r,
      helo: 'h',
    });
    expect(slow.result).toBe('temperror');
  });

  it('ends with temperror when the signal is aborted', async () => {
    const r = resolver([txt('example.org', 'v=spf1 -all')]);
    const signal = AbortSignal.abort();
    const res = await checkHost('192.0.2.1', 'example.org', 'a@example.org', {
      resolver: r,
      helo: 'h',
      signal,
    });
    expect(res.result).toBe('temperror');
  });

  it('counts lookups and void lookups across includes', async () => {
    const r = resolver([
      txt('example.org', 'v=spf1 a:gone1.example.org include:inc.example.net -all'),
      txt('inc.example.net', 'v=spf1 a:gone2.example.net mx ?all'),
    ]);
    const res = await checkHost('192.0.2.1', 'example.org', 'a@example.org', { resolver: r, helo: 'h' });
    // a (void) + include + a (void) + mx (void): the third void lookup is one too many.
    expect(res).toMatchObject({ result: 'permerror', lookups: 4, voidLookups: 3 });
    expect(res.reason).toMatch(/lookups found nothing/);
  });

  it('stops an include loop at the lookup limit', async () => {
    const r = resolver([
      txt('a.example', 'v=spf1 include:b.example -all'),
      txt('b.example', 'v=spf1 include:a.example'),
    ]);
    const res = await checkHost('192.0.2.1', 'a.example', 'x@a.example', { resolver: r, helo: 'h' });
    expect(res).toMatchObject({ result: 'permerror', lookups: 11 });
  });

  it('uses the %{t} clock and receiver in explanations', async () => {
    const r = resolver([
      txt('example.org', 'v=spf1 -all exp=why.example.org'),
      txt('why.example.org', '%{c} refused by %{r} at %{t}'),
      a('unused.example.org', '192.0.2.9'),
    ]);
    const res = await checkHost('192.0.2.1', 'example.org', 'a@example.org', {
      resolver: r,
      helo: 'h',
      receiver: 'mx.example.net',
      clock: () => new Date(1_000_000_000_000),
    });
    expect(res.explanation).toBe('192.0.2.1 refused by mx.example.net at 1000000000');
  });

  it('treats names the resolver refuses to send as non-existent, not as a DNS failure', async () => {
    const inner = resolver([txt('example.org', 'v=spf1 a:%{l}.example.org -all')]);
    const picky: Resolver = {
      query: (name, type, options) =>
        name.includes(' ')
          ? Promise.reject(new DnsError('E_DOMAIN_INVALID', 'not a valid DNS name'))
          : inner.query(name, type, options),
    };
    const res = await checkHost('192.0.2.1', 'example.org', 'two words@example.org', {
      resolver: picky,
      helo: 'h',
    });
    expect(res).toMatchObject({ result: 'fail', mechanism: '-all' });
  });

  it('returns none for names that are not checkable domains, without querying', async () => {
    const r = resolver([]);
    for (const d of ['localhost', '[192.0.2.1]', 'a..example.org', `${'x'.repeat(64)}.example.org`]) {
      const res = await checkHost('192.0.2.1', d, `x@${d}`, { resolver: r, helo: 'h' });
      expect(res.result, d).toBe('none');
    }
    expect(r.log).toHaveLength(0);
  });

  it('refuses an unparseable client address as a caller error', async () => {
    await expect(
      checkHost('999.1.1.1', 'example.org', 'a@example.org', { resolver: resolver([]), helo: 'h' }),
    ).rejects.toBeInstanceOf(InputError);
  });
});

describe('spfIdentity', () => {
  it('uses MAIL FROM, or postmaster at the HELO name for the null sender', () => {
    expect(spfIdentity('user@example.org', 'mx.example.net')).toEqual({
      domain: 'example.org',
      sender: 'user@example.org',
    });
    expect(spfIdentity('', 'mx.example.net')).toEqual({
      domain: 'mx.example.net',
      sender: 'postmaster@mx.example.net',
    });
    expect(spfIdentity('odd@local@example.org', 'h').domain).toBe('example.org');
  });
});
