import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { scanDomains, type DomainReport } from '../../src/domain/scan.js';
import { startLab, type RunningLab } from '../../src/lab/lab.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJson } from '../../src/report/json.js';
import { buildRun, type ScanRun } from '../../src/report/model.js';
import { renderText } from '../../src/report/text.js';

let lab: RunningLab;
let reports: DomainReport[];
let run: ScanRun;

beforeAll(async () => {
  lab = await startLab();
  reports = await scanDomains(lab.scenario.scanDomains, { resolver: lab.resolver, timeoutS: 10 });
  run = buildRun(reports, { startedAt: new Date(), finishedAt: new Date(), resolvers: [lab.address] });
});
afterAll(async () => {
  await lab?.close();
});

const byDomain = (d: string): Finding[] => reports.find((r) => r.domain === d)?.findings ?? [];
const statusOf = (d: string, id: string) => byDomain(d).find((f) => f.id === id)?.status;

describe('scan of the built-in lab', () => {
  it('scans at least 12 lab domains', () => {
    expect(lab.scenario.scanDomains.length).toBeGreaterThanOrEqual(12);
    expect(reports.every((r) => r.findings.length > 0)).toBe(true);
  });

  it('JSON output validates against the published schema', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../schemas/scan-report.schema.json', import.meta.url), 'utf8'),
    );
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const doc = JSON.parse(renderJson(run));
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(doc.schema).toBe(1);
    expect(doc.tool).toBe('mailcomply');
  });

  it('every finding names a control and its GDPR articles', () => {
    for (const f of reports.flatMap((r) => r.findings)) {
      expect(f.controls.length, f.id).toBeGreaterThan(0);
      expect(f.gdpr.length, f.id).toBeGreaterThan(0);
      if (f.status === 'fail') expect(f.remediation, f.id).toBeTruthy();
    }
  });

  // Between them the lab domains must make every record check both pass and not pass.
  it.each([
    'mx.present',
    'mx.target',
    'mx.resolves',
    'spf.record',
    'spf.syntax',
    'spf.lookups',
    'spf.void-lookups',
    'spf.all',
    'spf.broad',
    'dmarc.record',
    'dmarc.policy',
    'dmarc.rua',
    'dmarc.external-report-auth',
    'dkim.key-size',
    'mta-sts.record',
    'tls-rpt.record',
    'dnssec.domain',
  ])('%s passes somewhere and fails or warns somewhere', (id) => {
    const statuses = new Set(
      reports.flatMap((r) => r.findings.filter((f) => f.id === id).map((f) => f.status)),
    );
    expect(statuses.has('pass'), `${id} never passes`).toBe(true);
    expect(statuses.has('fail') || statuses.has('warn'), `${id} never fails`).toBe(true);
  });

  it('gives the verdicts the scenario describes', () => {
    expect(statusOf('strict.example', 'dnssec.domain')).toBe('pass');
    expect(statusOf('relaxed.example', 'dnssec.domain')).not.toBe('pass');
    expect(statusOf('open.example', 'spf.all')).toBe('fail');
    expect(statusOf('lookups.example', 'spf.lookups')).toBe('fail');
    expect(statusOf('lookups.example', 'spf.void-lookups')).toBe('fail');
    expect(statusOf('loop.example', 'spf.loop')).toBe('fail');
    expect(statusOf('twice.example', 'spf.record')).toBe('fail');
    expect(statusOf('twice.example', 'dmarc.record')).toBe('fail');
    expect(statusOf('bare.example', 'dmarc.record')).toBe('fail');
    expect(statusOf('weakkeys.example', 'dkim.key-size')).toBe('fail');
    expect(statusOf('forensic.example', 'dmarc.ruf')).not.toBe('pass');
    expect(byDomain('flaky.example').some((f) => f.id.startsWith('dmarc.') && f.status === 'error')).toBe(
      true,
    );
    expect(byDomain('flaky.example').some((f) => f.id.startsWith('mta-sts.') && f.status === 'error')).toBe(
      true,
    );
    expect(byDomain('flaky.example').some((f) => f.id.startsWith('dmarc.') && f.status === 'pass')).toBe(
      false,
    );
  });

  it('text output groups by control with the worst group first', () => {
    const text = renderText(run, { color: false });
    const open = text.slice(text.indexOf('open.example'), text.indexOf('lookups.example'));
    expect(open).toMatch(/Authorised sending hosts are declared \(SPF\)/);
    expect(open).toMatch(/FAIL critical/);
    expect(text.includes('\u001b[')).toBe(false);
    const colored = renderText(run, { color: true });
    expect(colored.includes('\u001b[')).toBe(true);
  });

  it('HTML output is one self-contained page with evidence folded', () => {
    const html = renderHtml(run);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<details>');
    expect(html).not.toMatch(/<script|<link |src="http|href="http/);
    for (const d of lab.scenario.scanDomains) expect(html).toContain(`id="${d}"`);
  });
});
