import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const TLS = 'test/fixtures/tlsrpt/parsedmarc';
const dir = mkdtempSync(join(tmpdir(), 'mailcomply-tlsrpt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function compile(schemaFile: string) {
  const schema = JSON.parse(readFileSync(join(root, 'schemas', schemaFile), 'utf8'));
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

// Each run starts a CLI process (about 2 s under tsx), so the cases run side by side.
describe.concurrent('mailcomply tlsrpt summarize and mta-sts query (CLI)', { timeout: 60_000 }, () => {
  it('writes JSON that validates against the published schema', async () => {
    const out = join(dir, 'r.json');
    const r = await cli(['tlsrpt', 'summarize', TLS, '--format', 'json', '--out', out]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const validate = compile('tlsrpt-summary.schema.json');
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.reports).toHaveLength(4);
    expect(doc.failures[0]).toMatchObject({
      organization: 'Company-X',
      resultType: 'starttls-not-supported',
    });
  });

  it('prints the failure table and exits 1 with --fail-on high', async () => {
    const r = await cli(['tlsrpt', 'summarize', TLS, '--fail-on', 'high']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Mail\.ru\s+sts example\.com\s+sts-policy-fetch-error\s+2/);
    expect(r.stdout).toContain('[fail high] tlsrpt.certificate');
  });

  it('reports unreadable inputs as a finding, not a crash', async () => {
    const r = await cli(['tlsrpt', 'summarize', join(dir, 'missing.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[error low] tlsrpt.input');
    expect(r.stdout).toContain('[warn low] tlsrpt.reports: No TLS reports found');
  });

  it('mta-sts query --lab shows that DANE wins over an enforce policy', async () => {
    const r = await cli(['mta-sts', 'query', '--lab', 'strict.example', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const validate = compile('mta-sts-query.schema.json');
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc).toMatchObject({ domain: 'strict.example', reply: 'OK dane-only', dane: 'all' });
    expect(doc.policy.mode).toBe('enforce');
  });

  it('rejects a next hop MTA-STS does not apply to as a usage error', async () => {
    const q = await cli(['mta-sts', 'query', '[192.0.2.1]:25']);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain('not a domain MTA-STS applies to');
  });

  it('rejects a --listen address without inet: or unix: as a usage error', async () => {
    const l = await cli(['mta-sts-resolver', '--listen', '127.0.0.1:8461', '--cache', ':memory:']);
    expect(l.code).toBe(2);
    expect(l.stderr).toContain('expected inet:HOST:PORT or unix:PATH');
  });
});
