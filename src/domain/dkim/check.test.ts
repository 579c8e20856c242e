import { describe, expect, it } from 'vitest';
import type { DnsRecord } from '../../dns/types.js';
import type { FailureMode } from '../../dns/zone-data.js';
import { ed25519Key, rsaKey } from '../../../test/unit/support/dkim-keys.js';
import { only, rr, zoneContext } from '../../../test/unit/support/domain-context.js';
import { dkimCheck } from './check.js';
import { COMMON_DKIM_SELECTORS } from './selectors.js';

const D = 'example.org';
const key = (selector: string, text: string): DnsRecord => rr.txt(`${selector}._domainkey.${D}`, text);

async function run(
  records: DnsRecord[],
  opts: { dkimSelectors?: string[]; failures?: Record<string, FailureMode> } = {},
) {
  const { ctx, resolver } = zoneContext(D, records, opts);
  return { findings: await dkimCheck(ctx), resolver };
}

describe('dkimCheck: selectors', () => {
  it('probes each common selector once and nothing else', async () => {
    const { findings, resolver } = await run([]);
    expect(resolver.log.map((q) => q.name).sort()).toEqual(
      COMMON_DKIM_SELECTORS.map((s) => `${s}._domainkey.${D}`).sort(),
    );
    expect(COMMON_DKIM_SELECTORS.length).toBeLessThanOrEqual(12);
    const s = only(findings, 'dkim.selectors');
    expect(s).toMatchObject({ status: 'info' });
    expect(s.detail).toContain('--dkim-selector');
    expect(findings).toHaveLength(1);
  });

  it('warns when selectors the user named hold no key', async () => {
    const { findings, resolver } = await run([], { dkimSelectors: ['Mail2024', 'bad selector!'] });
    expect(resolver.log.map((q) => q.name)).toContain(`mail2024._domainkey.${D}`);
    const s = only(findings, 'dkim.selectors');
    expect(s).toMatchObject({ status: 'warn', severity: 'medium' });
    expect(s.detail).toContain('no key at the given selector(s) mail2024');
    expect(s.detail).toContain('1 given selector(s) are not valid');
  });

  it('finds keys at a user-supplied selector', async () => {
    const { findings } = await run([key('mail2024', `v=DKIM1; p=${rsaKey(2048)}`)], {
      dkimSelectors: ['mail2024'],
    });
    const s = only(findings, 'dkim.selectors');
    expect(s.status).toBe('pass');
    expect(s.detail).toContain('mail2024');
  });

  it('reports failed lookups as an error when no key was found', async () => {
    const { findings } = await run([], { failures: { [`selector1._domainkey.${D}`]: 'timeout' } });
    const s = only(findings, 'dkim.selectors');
    expect(s.status).toBe('error');
    expect(s.detail).toContain('lookups failed for selector1');
  });

  it('still judges the keys it found when another selector fails', async () => {
    const { findings } = await run([key('google', `v=DKIM1; p=${rsaKey(2048)}`)], {
      failures: { [`selector1._domainkey.${D}`]: 'servfail' },
    });
    expect(only(findings, 'dkim.selectors')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('selector1'),
    });
    expect(only(findings, 'dkim.key-size').status).toBe('pass');
  });

  it('ignores TXT records at a selector that are not DKIM keys', async () => {
    const { findings } = await run([key('mail', 'v=spf1 -all')]);
    expect(only(findings, 'dkim.selectors').status).toBe('info');
  });
});

describe('dkimCheck: keys', () => {
  it('passes a 2048-bit key and records the evidence', async () => {
    const { findings } = await run([key('selector1', `v=DKIM1; k=rsa; p=${rsaKey(2048)}`)]);
    expect(findings.map((f) => [f.id, f.status])).toEqual([
      ['dkim.selectors', 'pass'],
      ['dkim.syntax', 'pass'],
      ['dkim.key-size', 'pass'],
      ['dkim.testing', 'pass'],
    ]);
    const ev = only(findings, 'dkim.key-size').evidence as {
      selectors: { name: string; records: { bits: number }[] }[];
    };
    expect(ev.selectors[0]?.name).toBe(`selector1._domainkey.${D}`);
    expect(ev.selectors[0]?.records[0]?.bits).toBe(2048);
  });

  it('warns at exactly 1024 bits', async () => {
    const ks = only((await run([key('k1', `v=DKIM1; p=${rsaKey(1024)}`)])).findings, 'dkim.key-size');
    expect(ks).toMatchObject({ status: 'warn', severity: 'medium' });
    expect(ks.detail).toContain('k1: RSA 1024 bits');
  });

  it('fails a 512-bit key (high) and gives the rotation records', async () => {
    const ks = only(
      (await run([key('default', `v=DKIM1; p=${rsaKey(512)}`), key('s1', `v=DKIM1; p=${rsaKey(2048)}`)]))
        .findings,
      'dkim.key-size',
    );
    expect(ks).toMatchObject({ status: 'fail', severity: 'high' });
    expect(ks.remediation).toContain('s202503._domainkey.example.org. 3600 IN TXT "v=DKIM1; k=rsa; p=');
    expect(ks.remediation).toContain('default._domainkey.example.org. 3600 IN TXT "v=DKIM1; p="');
    expect(ks.remediation).not.toContain('s1._domainkey');
  });

  it('passes an Ed25519 key', async () => {
    const ks = only(
      (await run([key('s2', `v=DKIM1; k=ed25519; p=${ed25519Key().raw}`)])).findings,
      'dkim.key-size',
    );
    expect(ks.status).toBe('pass');
    expect(ks.detail).toContain('Ed25519');
  });

  it('points provider-hosted keys (CNAME) to the provider for rotation', async () => {
    const { findings } = await run([
      rr.cname(`selector1._domainkey.${D}`, 'selector1-example-org._domainkey.tenant.provider.example'),
      rr.txt('selector1-example-org._domainkey.tenant.provider.example', `v=DKIM1; p=${rsaKey(1024)}`),
    ]);
    const ks = only(findings, 'dkim.key-size');
    expect(ks.remediation).toContain('delegated by CNAME');
    expect(JSON.stringify(ks.evidence)).toContain(
      'CNAME selector1-example-org._domainkey.tenant.provider.example.',
    );
  });

  it('warns about keys in testing mode and removes only the y flag in the fix', async () => {
    const p = rsaKey(2048);
    const t = only((await run([key('google', `v=DKIM1; t=y:s; p=${p}`)])).findings, 'dkim.testing');
    expect(t).toMatchObject({ status: 'warn', severity: 'low' });
    expect(t.detail).toContain('google');
    expect(t.remediation?.replace(/" "/g, '')).toContain(`"v=DKIM1; t=s; p=${p}"`);
  });

  it('reports revoked keys as information and judges no size for them', async () => {
    const { findings } = await run([key('selector2', 'v=DKIM1; p=')]);
    expect(only(findings, 'dkim.revoked')).toMatchObject({
      status: 'info',
      detail: expect.stringContaining('selector2'),
    });
    expect(findings.some((f) => f.id === 'dkim.key-size')).toBe(false);
    expect(findings.some((f) => f.id === 'dkim.testing')).toBe(false);
  });

  it('fails malformed key records and tolerates minor deviations with a warning', async () => {
    const bad = only((await run([key('dkim', 'v=DKIM1; k=rsa; p=AAAA')])).findings, 'dkim.syntax');
    expect(bad).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(bad.detail).toContain('dkim: p= is not a valid RSA public key');
    expect(bad.remediation).toContain(
      'dkim._domainkey.example.org. 3600 IN TXT "v=DKIM1; k=rsa; p=<base64 public key>"',
    );
    const minor = only(
      (await run([key('dkim', `v=DKIM1; p=${rsaKey(2048, 'pkcs1')}`)])).findings,
      'dkim.syntax',
    );
    expect(minor).toMatchObject({ status: 'warn', severity: 'low' });
  });
});
