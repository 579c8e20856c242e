import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsClient } from '../../src/dns/client.js';
import type { DnsStack } from './dns-stack.js';
import { startDnsStack } from './dns-stack.js';
import { BOGUS, SIGNED, UNSIGNED, systemZones } from './stack-zones.js';

let stack: DnsStack;
let client: DnsClient;

beforeAll(async () => {
  stack = await startDnsStack((await systemZones()).stack);
  client = new DnsClient({ servers: [stack.resolver], timeoutMs: 2000, retries: 1 });
});
afterAll(async () => {
  client?.close();
  await stack?.close();
});

describe('DnsClient through a validating unbound', () => {
  it('sees AD on the signed zone', async () => {
    const r = await client.query(SIGNED, 'MX');
    expect(r.rcode).toBe('NOERROR');
    expect(r.ad).toBe(true);
    expect(r.answers.map((a) => a.data)).toEqual([{ preference: 10, exchange: `mx1.${SIGNED}` }]);
    expect(r.server).toBe(`${stack.resolver.host}:${stack.resolver.port}`);
  });

  it('sees AD on signed TXT answers and on authenticated NXDOMAIN', async () => {
    const dmarc = await client.query(`_dmarc.${SIGNED}`, 'TXT');
    expect(dmarc).toMatchObject({ rcode: 'NOERROR', ad: true });
    expect(dmarc.answers[0]?.data.text).toMatch(/^v=DMARC1; p=reject;/);
    const nx = await client.query(`nowhere.${SIGNED}`, 'TXT');
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', ad: true, answers: [] });
  });

  it('does not see AD on the unsigned zone', async () => {
    const r = await client.query(UNSIGNED, 'MX');
    expect(r.rcode).toBe('NOERROR');
    expect(r.ad).toBe(false);
    expect(r.answers).toHaveLength(1);
    const spf = await client.query(UNSIGNED, 'TXT');
    expect(spf.ad).toBe(false);
    expect(spf.answers.map((a) => a.data.text)).toContain('v=spf1 +all');
  });

  it('gets SERVFAIL, as data, for the zone with expired signatures', async () => {
    const r = await client.query(BOGUS, 'MX');
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.ad).toBe(false);
    expect(r.answers).toEqual([]);
  });
});
