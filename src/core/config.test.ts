import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, loadConfig, parseConfig } from './config.js';
import { UsageError } from './errors.js';

const SCHEMA_URL = new URL('../../schemas/mailcomply-config.schema.json', import.meta.url);
const EXAMPLE_URL = new URL('../../scenarios/lab-register.yaml', import.meta.url);

const GOOD = `version: 1
organisation:
  name: Example Org
  internalZones: [example.org]
processors:
  - provider: microsoft-365
    dpa: 2024-03-01
    transfer: dpf
  - name: Example CRM Ltd
    domains: [crm.example]
    country: GB
    transfer: adequacy
    scope: [example.org]
  - provider: backup-co
    inDns: false
`;

function usageError(text: string): string {
  try {
    parseConfig(text, 'mailcomply.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('mailcomply.yaml', () => {
  it('parses a register with catalogued and other processors', () => {
    const c = parseConfig(GOOD, 'mailcomply.yaml');
    expect(c.organisation?.internalZones).toEqual(['example.org']);
    expect(c.processors).toHaveLength(3);
    expect(c.processors?.[1]).toMatchObject({ name: 'Example CRM Ltd', country: 'GB', transfer: 'adequacy' });
    expect(c.processors?.[2]?.inDns).toBe(false);
  });

  it('treats an empty file as an empty configuration', () => {
    expect(parseConfig('', 'm.yaml')).toEqual({});
    expect(parseConfig('# nothing yet\n', 'm.yaml')).toEqual({});
  });

  it.each([
    [
      'a bad transfer mechanism',
      GOOD.replace('transfer: dpf', 'transfer: sccs'),
      'mailcomply.yaml:8: processors[0].transfer',
    ],
    [
      'a malformed DPA date',
      GOOD.replace('2024-03-01', '1 March 2024'),
      'mailcomply.yaml:7: processors[0].dpa: expected a date',
    ],
    [
      'a misspelt section',
      GOOD.replace('organisation:', 'organization:'),
      'mailcomply.yaml:2: organization: Unrecognized key',
    ],
    [
      'a misspelt field',
      GOOD.replace('    country: GB', '    contry: GB'),
      'mailcomply.yaml:11: processors[1].contry',
    ],
    [
      'an entry with neither provider nor name',
      'processors:\n  - dpa: 2024-01-01\n',
      'mailcomply.yaml:2: processors[0]: give either provider',
    ],
    [
      'an upper-case internal zone',
      'organisation:\n  internalZones: [Example.ORG]\n',
      'mailcomply.yaml:2: organisation.internalZones[0]',
    ],
    [
      'a country that is not a code',
      GOOD.replace('country: GB', 'country: Britain'),
      'mailcomply.yaml:11: processors[1].country',
    ],
    ['a wrong version', 'version: 2\n', 'mailcomply.yaml:1: version'],
    ['YAML that does not parse', 'processors:\n  - provider: [unclosed\n', 'mailcomply.yaml:'],
    ['a list at the top', '- a\n- b\n', 'mailcomply.yaml:1: (top level)'],
  ])('reports %s with file, line and field', (_what, text, prefix) => {
    expect(usageError(text).startsWith(prefix)).toBe(true);
  });

  it('never throws anything but a UsageError, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseConfig(text, 'm.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message.startsWith('m.yaml')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailcomply-config-'));

  it('is empty when there is no ./mailcomply.yaml and no --config', () => {
    expect(loadConfig(undefined, dir)).toEqual({ config: {} });
  });

  it('reads ./mailcomply.yaml by default', () => {
    const sub = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(sub, 'mailcomply.yaml'), GOOD);
    const loaded = loadConfig(undefined, sub);
    expect(loaded.path).toBe(join(sub, 'mailcomply.yaml'));
    expect(loaded.config.processors).toHaveLength(3);
  });

  it('makes a missing --config file a usage error naming it', () => {
    expect(() => loadConfig('nope.yaml', dir)).toThrow(UsageError);
    expect(() => loadConfig('nope.yaml', dir)).toThrow('--config nope.yaml: ENOENT');
  });

  it('names the --config file in validation errors', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'processors: 3\n');
    expect(() => loadConfig('bad.yaml', dir)).toThrow(/^bad\.yaml:1: processors: /);
  });
});

describe('the published JSON Schema', () => {
  it('is the one generated from the zod schema (regenerate: UPDATE_SCHEMAS=1 npx vitest run src/core/config.test.ts)', () => {
    const generated = configJsonSchema();
    if (process.env.UPDATE_SCHEMAS === '1')
      writeFileSync(SCHEMA_URL, JSON.stringify(generated, null, 2) + '\n');
    // Compared as data, so formatting the file (prettier) does not matter.
    expect(JSON.parse(readFileSync(SCHEMA_URL, 'utf8'))).toEqual(generated);
  });

  it('accepts the example register and rejects what the loader rejects', () => {
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')));
    const example = parseConfig(readFileSync(EXAMPLE_URL, 'utf8'), 'lab-register.yaml');
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(parseConfig(GOOD, 'm.yaml'))).toBe(true);
    expect(validate({ processors: [{ provider: 'x', transfer: 'sccs' }] })).toBe(false);
    expect(validate({ organization: {} })).toBe(false);
  });
});
