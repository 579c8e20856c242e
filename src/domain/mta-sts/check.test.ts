import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import type { DnsRecord } from '../../dns/types.js';
import { createLabCa } from '../../lab/ca.js';
import { labDialer } from '../../lab/dialer.js';
import { serve, startPolicyHttps, type PolicyHttps } from '../../../test/unit/support/policy-https.js';
import { checkMtaStsPolicy } from './check.js';

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: *.good.test\r\nmax_age: 604800\r\n';

describe('checkMtaStsPolicy', () => {
  let https: PolicyHttps;
  let caPem: string;
  let resolver: MemoryResolver;
  let dialer: ReturnType<typeof labDialer>;

  beforeAll(async () => {
    const ca = await createLabCa();
    caPem = ca.certPem;
    https = await startPolicyHttps({ 'mta-sts.good.test': { handle: serve(POLICY) } }, ca);
    const records: DnsRecord[] = [
      { name: 'mta-sts.good.test', type: 'A', ttl: 300, data: '127.0.0.2' },
      {
        name: '_mta-sts.good.test',
        type: 'TXT',
        ttl: 300,
        data: { text: 'v=STSv1; id=1', strings: ['v=STSv1; id=1'] },
      },
    ];
    resolver = new MemoryResolver({ records, signedZones: [] });
    dialer = labDialer(new Map([['127.0.0.2', new Map([[443, https.port]])]]));
  });

  afterAll(async () => {
    await https?.close();
  });

  it('passes a domain with a good record and policy', async () => {
    const f = await checkMtaStsPolicy('good.test', {
      resolver,
      dialer,
      ca: [caPem],
      mxHosts: ['mx1.good.test'],
    });
    expect(f.map((x) => `${x.id}=${x.status}`)).toEqual([
      'mta-sts.policy.fetch=pass',
      'mta-sts.policy.syntax=pass',
      'mta-sts.policy.mode=pass',
      'mta-sts.policy.mx=pass',
      'mta-sts.policy.max-age=pass',
      'mta-sts.policy.record=pass',
    ]);
  });

  it('fails the mx coverage against the real MX list', async () => {
    const f = await checkMtaStsPolicy('good.test', {
      resolver,
      dialer,
      ca: [caPem],
      mxHosts: ['mx.elsewhere.test'],
    });
    expect(f.find((x) => x.id === 'mta-sts.policy.mx')?.status).toBe('fail');
  });

  it('is informational for a domain without MTA-STS', async () => {
    const f = await checkMtaStsPolicy('none.test', { resolver, dialer, mxHosts: ['mx.none.test'] });
    expect(f.map((x) => `${x.id}=${x.status}`)).toEqual([
      'mta-sts.policy.fetch=info',
      'mta-sts.policy.record=info',
    ]);
  });
});
