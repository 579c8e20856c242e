import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { auditDovecot } from '../../src/mta/dovecot/audit.js';
import { auditPostfix } from '../../src/mta/postfix/audit.js';
import { buildAuditRun, renderAudit } from '../../src/mta/postfix/render.js';

const fixtures = new URL('../fixtures/mta/', import.meta.url).pathname;
const schema = JSON.parse(
  readFileSync(new URL('../../schemas/mta-audit.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);

function check(doc: unknown): void {
  validate(doc);
  expect(validate.errors ?? []).toEqual([]);
}

describe('audit JSON output matches schemas/mta-audit.schema.json', () => {
  it('postfix audit of the Debian stock configuration', async () => {
    const audit = await auditPostfix({ configDir: `${fixtures}postfix-debian`, usePostconf: false });
    const run = buildAuditRun('postfix', audit.configDir, audit.findings, new Date(), new Date());
    const doc = JSON.parse(renderAudit(run, 'json', { color: false, quiet: false }));
    check(doc);
    expect(doc.findings.some((f: { status: string }) => f.status === 'fail')).toBe(true);
  });

  it('dovecot audit of a weak configuration', async () => {
    const audit = await auditDovecot({ config: `${fixtures}dovecot/weak/dovecot.conf`, useDoveconf: false });
    const run = buildAuditRun('dovecot', audit.source, audit.findings, new Date(), new Date());
    const doc = JSON.parse(renderAudit(run, 'json', { color: false, quiet: false }));
    check(doc);
    expect(doc.findings.length).toBeGreaterThan(0);
  });
});
