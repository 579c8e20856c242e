import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  actionFor,
  DEFAULT_POLICY_YAML,
  defaultHeaderPolicy,
  loadHeaderPolicy,
  parseHeaderPolicy,
  policyNeedsKey,
} from './policy.js';

const fixtures = new URL('../../test/fixtures/messages/', import.meta.url).pathname;

describe('header policy', () => {
  it('loads the example policy', () => {
    const p = loadHeaderPolicy(`${fixtures}policy.yaml`);
    expect(p.default).toBe('keep');
    expect(p.internalZones).toEqual(['corp.example.com']);
    expect(actionFor(p, 'user-agent')).toBe('remove');
    expect(actionFor(p, 'X-MS-Exchange-Organization-AuthAs')).toBe('remove');
    // An exact rule beats a prefix rule whatever the order.
    expect(actionFor(p, 'X-MS-Exchange-Organization-SCL')).toBe('keep');
    expect(actionFor(p, 'Subject')).toBe('keep');
    expect(policyNeedsKey(p)).toBe(true);
  });

  it('names file, line and field for a bad action', () => {
    expect(() => loadHeaderPolicy(`${fixtures}policy-bad.yaml`)).toThrow(
      /policy-bad\.yaml: line 4: headers\.X-Mailer: .*keep.*remove/,
    );
  });

  it('names an unknown top-level key', () => {
    expect(() => parseHeaderPolicy('version: 1\nheaderz:\n  A: remove\n', 'p.yaml')).toThrow(
      /p\.yaml: line 1: .*headerz/,
    );
  });

  it('reports YAML syntax errors with a line and no file content', () => {
    let msg = '';
    try {
      parseHeaderPolicy('version: 1\nheaders: [unclosed\n  secret-value\n', 'p.yaml');
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/^p\.yaml: line \d+: invalid YAML/);
    expect(msg).not.toContain('secret-value');
  });

  it('rejects a wrong version, bad header names and bad zones', () => {
    expect(() => parseHeaderPolicy('version: 2\n', 'p')).toThrow(/version/);
    expect(() => parseHeaderPolicy('version: 1\nheaders:\n  "Bad Name": remove\n', 'p')).toThrow(
      /line 3: headers\.Bad Name/,
    );
    expect(() => parseHeaderPolicy('version: 1\ninternalZones: ["a b"]\n', 'p')).toThrow(/internalZones\.0/);
    expect(() => parseHeaderPolicy('version: 1\nreceived:\n  rewrite: all\n', 'p')).toThrow(
      /received\.rewrite/,
    );
  });

  it('has a built-in default that needs no key', () => {
    const p = defaultHeaderPolicy();
    expect(policyNeedsKey(p)).toBe(false);
    expect(actionFor(p, 'X-Mailer')).toBe('remove');
    expect(p.received.rewrite).toBe('internal-and-client');
  });

  it('reports an unreadable file as an I/O error', () => {
    expect(() => loadHeaderPolicy('/nonexistent/policy.yaml')).toThrow(/cannot read policy .*ENOENT/);
  });
});

describe('schemas/header-policy.schema.json', () => {
  it('accepts the example and the built-in policy and rejects what the parser rejects', async () => {
    const ajv = new Ajv2020.default({ strict: false });
    const schema = JSON.parse(
      readFileSync(new URL('../../schemas/header-policy.schema.json', import.meta.url), 'utf8'),
    );
    const validate = ajv.compile(schema);
    expect(validate(parse(readFileSync(`${fixtures}policy.yaml`, 'utf8')))).toBe(true);
    expect(validate(parse(DEFAULT_POLICY_YAML))).toBe(true);
    expect(validate(parse(readFileSync(`${fixtures}policy-bad.yaml`, 'utf8')))).toBe(false);
    expect(validate({ version: 1, headers: { 'Bad Name': 'remove' } })).toBe(false);
  });
});
