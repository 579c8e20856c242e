import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZONES_YAML } from './stack-zones.js';
import { loadScenarioZones, parseRecords, renderZoneFile } from './zones.js';

describe('scenario records', () => {
  it('parses NAME [TTL] TYPE RDATA lines and keeps quoted spacing', () => {
    expect(
      parseRecords('@ MX 10 mx1\n\n; note\nmx1 60 A 127.0.0.1\n_dmarc TXT "v=DMARC1;  p=none"\n'),
    ).toEqual([
      { name: '@', type: 'MX', rdata: '10 mx1' },
      { name: 'mx1', ttl: 60, type: 'A', rdata: '127.0.0.1' },
      { name: '_dmarc', type: 'TXT', rdata: '"v=DMARC1;  p=none"' },
    ]);
  });

  it('rejects a line without type or data', () => {
    expect(() => parseRecords('@ MX')).toThrow(/malformed record line/);
    expect(() => parseRecords('justonetoken')).toThrow(/malformed record line/);
  });

  it('never fails other than by a malformed-line error on hostile input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          for (const r of parseRecords(text)) {
            expect(r.name).not.toMatch(/\s/);
            expect(r.type).toMatch(/^[A-Z][A-Z0-9]*$/);
            expect(r.rdata.length).toBeGreaterThan(0);
          }
        } catch (err) {
          expect(String(err)).toMatch(/malformed record line/);
        }
      }),
    );
  });

  it('renders records that parse back to what was written', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    const line = fc.record({
      name: fc.oneof(fc.constant('@'), label),
      ttl: fc.option(fc.integer({ min: 0, max: 86400 }), { nil: undefined }),
      type: fc.constantFrom('A', 'MX', 'TXT'),
      rdata: fc.stringMatching(/^[a-z0-9"]([a-z0-9"=;. -]{0,30}[a-z0-9"])?$/),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        const records = lines.map((l) =>
          [l.name, l.ttl, l.type, l.rdata].filter((x) => x !== undefined).join(' '),
        );
        const file = renderZoneFile(
          { name: 'zone.example', records: records.join('\n') },
          { nsAddress: '127.0.0.1' },
        );
        const body = file.split('\n').filter((l) => l !== '' && !l.startsWith('$'));
        const parsed = parseRecords(body.join('\n')).slice(-lines.length);
        expect(parsed.map((r) => [r.name, r.type, r.rdata])).toEqual(
          lines.map((l) => [l.name, l.type, l.rdata]),
        );
        expect(parsed.map((r) => r.ttl)).toEqual(lines.map((l) => l.ttl ?? 300));
      }),
    );
  });

  it('adds SOA and NS with the name server address only when the records lack them', () => {
    const file = renderZoneFile(
      { name: 'a.example', records: '@ MX 10 mx1' },
      { nsAddress: '127.0.0.1', serial: 7 },
    );
    expect(file).toContain('$ORIGIN a.example.');
    expect(file).toMatch(/^@ IN SOA ns1 hostmaster 7 /m);
    expect(file).toMatch(/^@ IN NS ns1$/m);
    expect(file).toMatch(/^ns1 IN A 127\.0\.0\.1$/m);
    const own = renderZoneFile(
      { name: 'a.example', records: '@ NS ns.other.example.\n@ SOA ns.other.example. h 1 2 3 4 5' },
      { nsAddress: '127.0.0.1' },
    );
    expect(own).not.toMatch(/IN NS ns1$/m);
    expect(own).not.toContain('hostmaster');
  });

  it('loads the system scenario: one signed and one unsigned mail domain', async () => {
    const zones = await loadScenarioZones(ZONES_YAML);
    expect(zones.map((z) => [z.name, z.signed])).toEqual([
      ['signed.example', true],
      ['unsigned.example', false],
    ]);
    for (const z of zones) {
      const types = parseRecords(z.records).map((r) => `${r.name} ${r.type}`);
      expect(types).toEqual(expect.arrayContaining(['@ MX', 'mx1 A', '@ TXT', '_dmarc TXT']));
    }
  });
});

describe('scenario files', () => {
  it('refuses failure modes, which NSD cannot serve', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailcomply-zones-'));
    try {
      const file = join(dir, 'bad.yaml');
      await writeFile(
        file,
        'zones:\n  - name: a.example\n    failures: { a.example: timeout }\n    records: "@ A 127.0.0.1"\n',
      );
      await expect(loadScenarioZones(file)).rejects.toThrow(/failures/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
