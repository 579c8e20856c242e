import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import { MemoryResolver } from '../dns/memory-resolver.js';
import { buildScenario, loadScenario, parseScenario } from './scenario.js';

const GOOD = `description: Test lab
zones:
  - name: Strict.Example
    description: Every record check passes
    signed: true
    expect: { fail: 0 }
    failures: { slow: timeout, other.example.: refused, "@": servfail }
    records: |
      @        MX   10 mx1
      mx1      A    127.0.0.1

      ; a comment
      @        TXT  "v=spf1 mx -all"
  - name: provider.example
    scan: false
    records: "_spf TXT \\"v=spf1 -all\\""
  - name: bücher.example
`;

function errorOf(text: string): InputError {
  try {
    parseScenario(text, 'lab.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parseScenario', () => {
  const s = parseScenario(GOOD, 'lab.yaml');

  it('reads zones with defaults and resolved names', () => {
    expect(s.description).toBe('Test lab');
    expect(s.zones.map((z) => [z.name, z.signed, z.scan])).toEqual([
      ['strict.example', true, true],
      ['provider.example', false, false],
      ['xn--bcher-kva.example', false, true],
    ]);
    expect(s.zones[0]?.description).toBe('Every record check passes');
    expect(s.zones[0]?.expect).toEqual({ fail: 0 });
    expect(s.zones[2]?.records).toEqual([]);
  });

  it('parses records relative to the zone', () => {
    expect(s.zones[0]?.records.map((r) => [r.name, r.type])).toEqual([
      ['strict.example', 'MX'],
      ['mx1.strict.example', 'A'],
      ['strict.example', 'TXT'],
    ]);
    expect(s.zones[1]?.records[0]).toMatchObject({ name: '_spf.provider.example', type: 'TXT' });
  });

  it('resolves failure names, relative or absolute', () => {
    expect(s.zones[0]?.failures).toEqual({
      'slow.strict.example': 'timeout',
      'other.example': 'refused',
      'strict.example': 'servfail',
    });
  });

  it('merges every zone into one ZoneData and lists the domains to scan', async () => {
    expect(s.scanDomains).toEqual(['strict.example', 'xn--bcher-kva.example']);
    expect(s.zone.signedZones).toEqual(['strict.example']);
    expect(s.zone.records).toHaveLength(4);
    expect(s.zone.failures?.['slow.strict.example']).toBe('timeout');
    const resolver = new MemoryResolver(s.zone);
    const r = await resolver.query('mx1.strict.example', 'A');
    expect(r.answers[0]?.data).toBe('127.0.0.1');
  });
});

describe('parseScenario errors name the file, the zone and the line', () => {
  it('reports a bad record with its records line and file line', () => {
    const err = errorOf(GOOD.replace('mx1      A    127.0.0.1', 'mx1      A    127.0.0.300'));
    expect(err.message).toBe(
      'lab.yaml: zone "Strict.Example": records line 2 (file line 10): A data is not a dotted-quad IPv4 address',
    );
  });

  it('reports the line of a one-line records value', () => {
    const err = errorOf(GOOD.replace('_spf TXT', '_spf TXTX'));
    expect(err.message).toMatch(
      /^lab\.yaml: zone "provider\.example": records line 1 \(file line 16\): unsupported/,
    );
  });

  it('reports schema problems with the zone and field', () => {
    expect(errorOf(GOOD.replace('signed: true', 'signed: yes please')).message).toMatch(
      /^lab\.yaml: zone "Strict\.Example": signed: /,
    );
    expect(errorOf(GOOD.replace('scan: false', 'scna: false')).message).toMatch(
      /^lab\.yaml: zone "provider\.example": .*scna/,
    );
    expect(errorOf(GOOD.replace('slow: timeout', 'slow: sometimes')).message).toMatch(
      /^lab\.yaml: zone "Strict\.Example": failures\.slow: /,
    );
    expect(errorOf('zones: []\n').message).toMatch(/^lab\.yaml: zones: a scenario needs at least one zone/);
    expect(errorOf('zones:\n  - records: ""\n').message).toMatch(/^lab\.yaml: zone #1: name: /);
    expect(errorOf('just text\n').message).toMatch(/^lab\.yaml: /);
  });

  it('reports invalid zone names and failure names', () => {
    expect(errorOf('zones:\n  - name: a..b\n').message).toMatch(
      /^lab\.yaml: zone "a\.\.b": the name has an empty label/,
    );
    expect(errorOf('zones:\n  - name: x.example\n    failures: { "a..b": timeout }\n').message).toMatch(
      /^lab\.yaml: zone "x\.example": failures: name has an empty label/,
    );
  });

  it('reports YAML syntax errors with their line, without quoting the file', () => {
    const err = errorOf('zones:\n  - name: x.example\n    description: a: b: c\n');
    expect(err.message).toMatch(/^lab\.yaml: not valid YAML: .*line 3/);
    expect(err.message).not.toContain('a: b: c');
  });

  it('refuses a zone defined twice', () => {
    const err = errorOf('zones:\n  - name: x.example\n  - name: X.example.\n');
    expect(err.message).toBe('lab.yaml: zone "x.example" is defined twice');
  });
});

describe('loadScenario and buildScenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailcomply-scenario-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file and names it in errors', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, GOOD);
    expect(loadScenario(good).scanDomains).toHaveLength(2);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'zones:\n  - name: x.example\n    records: "@ A nope"\n');
    expect(() => loadScenario(bad)).toThrow(`${bad}: zone "x.example": records line 1 (file line 3)`);
  });

  it('reports an unreadable file as E_IO', () => {
    expect(() => loadScenario(join(dir, 'missing.yaml'))).toThrow(expect.objectContaining({ code: 'E_IO' }));
  });

  it('builds a scenario from resolved zones', () => {
    const s = buildScenario(
      [
        {
          name: 'a.example',
          signed: true,
          scan: true,
          failures: { 'x.a.example': 'malformed' },
          records: [{ name: 'a.example', type: 'A', ttl: 1, data: '127.0.0.1' }],
        },
        { name: 'helper.example', signed: false, scan: false, failures: {}, records: [] },
      ],
      'generated',
    );
    expect(s).toMatchObject({
      description: 'generated',
      scanDomains: ['a.example'],
      zone: { signedZones: ['a.example'], failures: { 'x.a.example': 'malformed' } },
    });
    expect(s.zone.records).toHaveLength(1);
  });
});
