import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const FIX = 'test/fixtures/bounces/messages';
const dir = mkdtempSync(join(tmpdir(), 'mailcomply-bounces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each run starts a CLI process (about 2 s under tsx), so the cases run side by side.
describe.concurrent('mailcomply bounces analyze (CLI)', () => {
  it('writes JSON that validates against the published schema', async () => {
    const out = join(dir, 'r.json');
    const r = await cli(['bounces', 'analyze', FIX, '--format', 'json', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const schema = JSON.parse(readFileSync(join(root, 'schemas/bounces-report.schema.json'), 'utf8'));
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.aggregate.byKind.dsn).toBe(2);
  });

  it('exits 1 at --fail-on, reporting a missing path as a per-file error', async () => {
    const r = await cli([
      'bounces',
      'analyze',
      join(dir, 'nope.eml'),
      `${FIX}/dsn-leaky.eml`,
      '--fail-on',
      'medium',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cannot read: ENOENT');
    expect(r.stdout).toContain('1 DSN');
  });

  it('exits 0 when nothing reaches --fail-on', async () => {
    expect((await cli(['bounces', 'analyze', `${FIX}/dsn-leaky.eml`, '--fail-on', 'high'])).code).toBe(0);
  });

  it('needs a path (usage error, exit 2)', async () => {
    expect((await cli(['bounces', 'analyze'])).code).toBe(2);
  });
});
