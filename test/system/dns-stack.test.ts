import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsStack } from './dns-stack.js';
import { dsLine, stackDirExists, startDnsStack } from './dns-stack.js';
import type { ToolOutput } from './daemon.js';
import { runTool, runToolOutput } from './daemon.js';
import { rawQuery, rdataText } from './raw-query.js';
import { BOGUS, SIGNED, UNSIGNED, systemZones } from './stack-zones.js';
import type { ScenarioZone } from './zones.js';
import { parseRecords } from './zones.js';

// The stack on its own, checked with dig, delv and raw packets, before any project code is involved.
describe('NSD + unbound stack', () => {
  let stack: DnsStack;
  let scenario: ScenarioZone[];

  beforeAll(async () => {
    const zones = await systemZones();
    scenario = zones.scenario;
    stack = await startDnsStack(zones.stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('listens on distinct loopback ports chosen at run time', () => {
    expect(stack.resolver.host).toBe('127.0.0.1');
    expect(stack.resolver.port).toBeGreaterThan(0);
    expect(stack.authoritative.port).toBeGreaterThan(0);
    expect(stack.resolver.port).not.toBe(stack.authoritative.port);
  });

  it('NSD serves the signed zone with signatures and the unsigned one without', async () => {
    const signed = await rawQuery(stack.authoritative, SIGNED, 'MX', { recursion: false });
    expect(signed.aa).toBe(true);
    expect(signed.answers.map((a) => a.type).sort()).toEqual(['MX', 'RRSIG']);
    const unsigned = await rawQuery(stack.authoritative, UNSIGNED, 'MX', { recursion: false });
    expect(unsigned.aa).toBe(true);
    expect(unsigned.answers.map((a) => a.type)).toEqual(['MX']);
  });

  it('unbound sets AD on the signed zone only', async () => {
    const signed = await rawQuery(stack.resolver, SIGNED, 'MX');
    expect(signed).toMatchObject({ rcode: 'NOERROR', ad: true });
    const unsigned = await rawQuery(stack.resolver, UNSIGNED, 'MX');
    expect(unsigned).toMatchObject({ rcode: 'NOERROR', ad: false });
    expect(unsigned.answers.some((a) => a.type === 'MX')).toBe(true);
  });

  it('unbound authenticates denial of existence in the signed zone', async () => {
    const nx = await rawQuery(stack.resolver, `nowhere.${SIGNED}`, 'A');
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', ad: true });
  });

  it('unbound answers SERVFAIL for the zone with expired signatures', async () => {
    const bogus = await rawQuery(stack.resolver, BOGUS, 'MX');
    expect(bogus.rcode).toBe('SERVFAIL');
    expect(bogus.answers).toEqual([]);
    // NSD itself serves it fine: the failure is the validator's verdict, not a missing zone.
    const direct = await rawQuery(stack.authoritative, BOGUS, 'MX', { recursion: false });
    expect(direct.rcode).toBe('NOERROR');
  });

  it('refuses names outside the test zones instead of asking the internet', async () => {
    const outside = await rawQuery(stack.resolver, 'example.com', 'MX');
    expect(outside.rcode).toBe('REFUSED');
  });

  it('dig sees the same flags', async () => {
    const dig = (name: string): Promise<string> =>
      runTool(
        'dig',
        [
          '+dnssec',
          '+time=2',
          '+tries=1',
          '-p',
          String(stack.resolver.port),
          `@${stack.resolver.host}`,
          name,
          'MX',
        ],
        stack.dir,
      );
    const flags = (out: string): string[] => /;; flags: ([a-z ]+);/.exec(out)?.[1]?.split(' ') ?? [];
    const signed = await dig(SIGNED);
    expect(signed).toContain('status: NOERROR');
    expect(flags(signed)).toContain('ad');
    expect(signed).toMatch(/\sRRSIG\s+MX\s/);
    const unsigned = await dig(UNSIGNED);
    expect(unsigned).toContain('status: NOERROR');
    expect(flags(unsigned)).not.toContain('ad');
    expect(await dig(BOGUS)).toContain('status: SERVFAIL');
  });

  it('delv validates the signed zone straight from NSD with its DS, and rejects the bogus one', async () => {
    const anchorsFile = join(stack.dir, 'delv-anchors.conf');
    const entries = [...stack.anchors.values()].map(
      (a) => `  ${a.zone}. static-ds ${a.keyTag} ${a.algorithm} ${a.digestType} "${a.digest}";`,
    );
    await writeFile(anchorsFile, `trust-anchors {\n${entries.join('\n')}\n};\n`);
    const delv = (zone: string): Promise<ToolOutput> =>
      runToolOutput(
        'delv',
        [
          '-a',
          anchorsFile,
          `+root=${zone}`,
          '-p',
          String(stack.authoritative.port),
          `@${stack.authoritative.host}`,
          zone,
          'MX',
        ],
        stack.dir,
      );
    const signed = await delv(SIGNED);
    expect(signed.stdout).toContain('; fully validated');
    expect(signed.stdout).toMatch(/\sMX\s+10 mx1\.signed\.example\./);
    const bogus = await delv(BOGUS);
    expect(bogus.stdout).not.toContain('; fully validated');
    expect(bogus.stderr).toMatch(/RRSIG has expired/);
    expect(bogus.stderr).toMatch(/resolution failed/);
  });

  it('has one trust anchor per signed zone, none for the unsigned one', () => {
    expect([...stack.anchors.keys()].sort()).toEqual([BOGUS, SIGNED]);
    const anchor = stack.anchors.get(SIGNED);
    expect(anchor?.algorithm).toBe(13);
    expect(anchor?.digestType).toBe(2);
    expect(anchor?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(dsLine(anchor!)).toMatch(/^signed\.example\. IN DS \d+ 13 2 [0-9a-f]{64}$/);
  });

  it('serves every record of zones.yaml as written', async () => {
    let checked = 0;
    for (const zone of scenario) {
      for (const r of parseRecords(zone.records)) {
        const owner = r.name === '@' ? zone.name : `${r.name}.${zone.name}`;
        const res = await rawQuery(stack.resolver, owner, r.type as 'A' | 'MX' | 'TXT');
        expect(res.rcode, `${owner} ${r.type}`).toBe('NOERROR');
        expect(res.ad, `${owner} ${r.type}`).toBe(zone.signed);
        const seen = res.answers.filter((a) => a.type === r.type).map(rdataText);
        const expected =
          r.type === 'MX'
            ? r.rdata.replace(/^(\d+)\s+(\S+)$/, (_m, p: string, h: string) => `${p} ${h}.${zone.name}`)
            : r.rdata;
        expect(seen, `${owner} ${r.type}`).toContain(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});

describe('stack teardown', () => {
  it('stops both servers and removes its directory', async () => {
    const { stack: zones } = await systemZones();
    const stack = await startDnsStack(zones.filter((z) => z.name === UNSIGNED));
    const pids = [stack.nsd.pid, stack.unbound.pid];
    expect((await rawQuery(stack.resolver, UNSIGNED, 'SOA')).rcode).toBe('NOERROR');
    await stack.close();
    expect(stack.nsd.hasExited()).toBe(true);
    expect(stack.unbound.hasExited()).toBe(true);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(stackDirExists(stack)).toBe(false);
    await expect(rawQuery(stack.resolver, UNSIGNED, 'SOA', { timeoutMs: 300 })).rejects.toThrow(/no answer/);
  });
});
