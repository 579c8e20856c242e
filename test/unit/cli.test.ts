import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type RunningLab } from '../../src/lab/lab.js';
import { cli } from './support/run-cli.js';

let lab: RunningLab;
const dir = mkdtempSync(join(tmpdir(), 'mailcomply-cli-'));
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

describe('mailcomply scan (CLI)', () => {
  it('prints a JSON report and exits 0 without --fail-on', async () => {
    const r = await cli([
      'scan',
      'strict.example',
      'open.example',
      '--resolver',
      lab.address,
      '--no-probe',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.domains.map((d: { domain: string }) => d.domain)).toEqual(['strict.example', 'open.example']);
  });

  it('exits 1 when a finding reaches --fail-on', async () => {
    const bad = await cli([
      'scan',
      'open.example',
      '--resolver',
      lab.address,
      '--no-probe',
      '--fail-on',
      'high',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL critical/);
    const good = await cli([
      'scan',
      'strict.example',
      '--resolver',
      lab.address,
      '--no-probe',
      '--fail-on',
      'low',
    ]);
    expect(good.code).toBe(0);
  });

  it('reads --domains-file and writes --out atomically', async () => {
    const list = join(dir, 'domains.txt');
    writeFileSync(list, '# lab\nstrict.example\n\nnullmx.example  # null MX\n');
    const out = join(dir, 'report.html');
    const r = await cli([
      'scan',
      '--domains-file',
      list,
      '--resolver',
      lab.address,
      '--no-probe',
      '--format',
      'html',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('id="nullmx.example"');
  });

  it.each([
    [['scan'], /no domain given/],
    [['scan', 'x.example', '--format', 'pdf'], /expected one of text, json, html/],
    [['scan', 'x.example', '--fail-on', 'severe'], /expected one of info/],
    [['scan', '--domains-file', '/nonexistent/list.txt'], /\/nonexistent\/list\.txt: ENOENT/],
    [['scan', 'x.example', '--resolver', '127.0.0.1:99999'], /resolver|port/i],
    [['frobnicate'], /unknown command/],
  ])('usage error %j exits 2 with a clear message', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });

  it('--lab probes the lab servers and grades the domains', async () => {
    const r = await cli(['scan', '--lab', 'strict.example', 'forensic.example', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const [strict, forensic] = doc.domains;
    expect(strict.grade).toMatchObject({ normalRisk: 'pass', highRisk: 'pass' });
    expect(forensic.grade.highRisk).toBe('fail');
    const ids = strict.findings.map((f: { id: string }) => f.id);
    expect(ids).toEqual(
      expect.arrayContaining(['smtp.starttls', 'smtp.certificate', 'dane.match', 'mta-sts.policy.mode']),
    );
    const daneMatch = forensic.findings.find((f: { id: string }) => f.id === 'dane.match');
    expect(daneMatch.status).toBe('fail');
  });

  it('exits 3 when the report cannot be written', async () => {
    const r = await cli([
      'scan',
      'strict.example',
      '--resolver',
      lab.address,
      '--no-probe',
      '--out',
      '/nonexistent/dir/r.json',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot write \/nonexistent\/dir\/r\.json/);
  });
});

describe('mailcomply demo (CLI)', () => {
  it('scans every lab domain and writes both reports', async () => {
    const out = join(dir, 'demo');
    const r = await cli(['demo', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scanned \d+ lab domains/);
    const doc = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(doc.domains.length).toBeGreaterThanOrEqual(12);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });
});
