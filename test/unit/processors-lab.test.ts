import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../src/dns/types.js';
import { scanDomains } from '../../src/domain/scan.js';
import { startLab, type RunningLab } from '../../src/lab/lab.js';
import { processorStep } from '../../src/providers/index.js';
import { renderJson } from '../../src/report/json.js';
import { buildRun } from '../../src/report/model.js';
import { renderHtml } from '../../src/report/html.js';
import { renderText } from '../../src/report/text.js';
import { cli } from './support/run-cli.js';

function counting(inner: Resolver): { resolver: Resolver; count: () => number } {
  let n = 0;
  return {
    resolver: { query: (name, type, o) => (n++, inner.query(name, type, o)) },
    count: () => n,
  };
}

function validator(file: string) {
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')));
}

let lab: RunningLab;
beforeAll(async () => {
  lab = await startLab({ dnsOnly: true });
});
afterAll(async () => {
  await lab?.close();
});

describe('processor discovery in a scan of the lab', () => {
  it('costs at most 10% more DNS queries than the same scan without it', async () => {
    const plain = counting(lab.resolver);
    await scanDomains(lab.scenario.scanDomains, { resolver: plain.resolver, timeoutS: 10 });
    const withDiscovery = counting(lab.resolver);
    const reports = await scanDomains(lab.scenario.scanDomains, {
      resolver: withDiscovery.resolver,
      timeoutS: 10,
      processors: processorStep({}),
    });
    expect(reports.every((r) => Array.isArray(r.processors))).toBe(true);
    expect(plain.count()).toBeGreaterThan(100);
    expect(withDiscovery.count()).toBeLessThanOrEqual(plain.count() * 1.1);
  });

  it('shows saas.example\u2019s processors in JSON (schema-valid), text and HTML', async () => {
    const reports = await scanDomains(['saas.example', 'strict.example'], {
      resolver: lab.resolver,
      timeoutS: 10,
      processors: processorStep({}),
    });
    const run = buildRun(reports, {
      startedAt: new Date(),
      finishedAt: new Date(),
      resolvers: [lab.address],
    });
    const validate = validator('scan-report.schema.json');
    expect(validate(JSON.parse(renderJson(run))), JSON.stringify(validate.errors)).toBe(true);
    const saas = reports[0]?.processors ?? [];
    expect(saas.map((p) => p.key).sort()).toEqual(
      ['dmarcian', 'mailchimp', 'microsoft-365', 'sendgrid', 'unidentified:crm.example', 'uriports'].sort(),
    );
    expect(reports[1]?.processors).toEqual([]);
    expect(renderText(run, { color: false })).toContain(
      'Microsoft 365 / Exchange Online — Microsoft Corporation',
    );
    expect(renderHtml(run)).toContain('<h3>Processors seen in DNS');
  });
});

describe('mailcomply processors (CLI)', () => {
  it('prints the register as CSV for an Art. 30 record, judged against --config', async () => {
    const r = await cli([
      'processors',
      '--lab',
      'saas.example',
      '--format',
      'csv',
      '--config',
      'scenarios/lab-register.yaml',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'Processor,Legal name,Country,Region,Roles,Domains served,Seen in DNS,DPA signed,Transfer mechanism,Transfer impact assessment,DPF status,DPF status recorded,EU data residency offered,Catalogue checked',
    );
    expect(lines.find((l) => l.startsWith('Microsoft 365'))).toContain(',2024-02-01,dpf,,certified,');
    expect(lines.find((l) => l.startsWith('CRM Example GmbH'))).toContain('CRM Example GmbH,DE,eea');
    expect(lines).toHaveLength(7);
  });

  it('JSON output validates and --fail-on high exits 1 on the imperfect register', async () => {
    const r = await cli([
      'processors',
      '--lab',
      'saas.example',
      '--format',
      'json',
      '--fail-on',
      'high',
      '--config',
      'scenarios/lab-register.yaml',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const validate = validator('processors-report.schema.json');
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const ids = doc.domains[0].findings
      .filter((f: { status: string }) => f.status !== 'pass')
      .map((f: { id: string }) => f.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'processors.undeclared',
        'processors.unseen',
        'processors.dpa',
        'processors.ruf',
      ]),
    );
  });

  it('a malformed mailcomply.yaml exits 2 naming file, line and field', async () => {
    const r = await cli(['scan', 'x.example', '--config', 'test/fixtures/config/bad-transfer.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'mailcomply: test/fixtures/config/bad-transfer.yaml:5: processors[0].transfer: Invalid option: expected one of "adequacy"|"dpf"|"scc"|"bcr"|"derogation"|"none"\n',
    );
  });
});
