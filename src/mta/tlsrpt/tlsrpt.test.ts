import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLSRPT_MAX_REPORT_BYTES } from '../../core/limits.js';
import { parseTlsReport } from './parse.js';
import { decodeReportBytes, readTlsReports } from './read.js';
import { summarizeTlsReports, tlsrptFindings } from './summarize.js';

// Real reports from parsedmarc's samples (Apache-2.0; see test/fixtures/tlsrpt/SOURCE.txt).
const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/tlsrpt');
const TLS = join(FIXTURES, 'parsedmarc');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailcomply-tlsrpt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseTlsReport', () => {
  it('reads the RFC 8460 example report', () => {
    const r = parseTlsReport(JSON.parse(readFileSync(join(TLS, 'rfc8460.json'), 'utf8')))!;
    expect(r.organization).toBe('Company-X');
    expect(r.policies).toHaveLength(1);
    const p = r.policies[0]!;
    expect(p).toMatchObject({
      type: 'sts',
      domain: 'company-y.example',
      successfulSessions: 5326,
      failedSessions: 303,
    });
    expect(p.mxHosts).toEqual(['*.mail.company-y.example']);
    expect(p.failures.map((f) => [f.resultType, f.failedSessions])).toEqual([
      ['certificate-expired', 100],
      ['starttls-not-supported', 200],
      ['validation-failure', 3],
    ]);
    expect(r.problems).toEqual([]);
  });

  it('is not fooled by JSON that is not a report', () => {
    expect(parseTlsReport({ feedback: {} })).toBeUndefined();
    expect(parseTlsReport([1, 2])).toBeUndefined();
    expect(parseTlsReport(null)).toBeUndefined();
  });

  it('lists wrong field types as problems and keeps the rest', () => {
    const r = parseTlsReport({
      'organization-name': 7,
      policies: [
        'junk',
        {
          policy: { 'policy-type': 'sts', 'policy-domain': 'Example.ORG' },
          summary: { 'total-successful-session-count': '12', 'total-failure-session-count': -1 },
          'failure-details': [{ 'result-type': 'certificate-expired', 'failed-session-count': 2 }, 5],
        },
      ],
    })!;
    expect(r.organization).toBe('(unnamed)');
    expect(r.policies[0]).toMatchObject({ domain: 'example.org', successfulSessions: 12, failedSessions: 0 });
    expect(r.policies[0]!.failures).toHaveLength(1);
    expect(r.problems.join('\n')).toMatch(/organization-name is not a string/);
    expect(r.problems.join('\n')).toMatch(/total-failure-session-count is not a whole number/);
    expect(r.problems.join('\n')).toMatch(/policies\[0\] is not an object/);
  });

  it('never throws, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        parseTlsReport(a);
        const r = parseTlsReport({ policies: [a, { policy: a, summary: b, 'failure-details': [a, b] }] });
        expect(r).toBeDefined();
        for (const p of r!.policies) expect(p.successfulSessions).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('readTlsReports', () => {
  it('reads JSON, gzip and report emails, and skips mail that carries no report', async () => {
    const gz = join(dir, 'report.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(TLS, 'mail.ru.json'))));
    const read = await readTlsReports([
      join(TLS, 'rfc8460.json'),
      gz,
      join(TLS, 'google.com_smtp_tls_report.eml'),
      // A DMARC aggregate report email: mail without a TLS report.
      join(FIXTURES, 'dmarc-aggregate-twilight.eml'),
    ]);
    expect(read.problems).toEqual([]);
    expect(read.skipped).toBe(1);
    expect(read.reports.map((r) => r.report.organization)).toEqual(['Company-X', 'Mail.ru', 'Google Inc.']);
    expect(read.reports[2]!.source).toMatch(/google\.com!cardinalhealth\.ca!.*\.json\.gz\)$/);
    expect(read.reports[2]!.report.policies[0]).toMatchObject({
      type: 'no-policy-found',
      successfulSessions: 48,
    });
  });

  it('walks a Maildir (cur and new, not tmp) and reports unreadable inputs without stopping', async () => {
    const md = join(dir, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(md, sub), { recursive: true });
    copyFileSync(join(TLS, 'google.com_smtp_tls_report.eml'), join(md, 'cur', '1.host:2,S'));
    copyFileSync(join(TLS, 'google.com_smtp_tls_report.eml'), join(md, 'new', '2.host'));
    copyFileSync(join(TLS, 'google.com_smtp_tls_report.eml'), join(md, 'tmp', '3.host'));
    writeFileSync(join(md, 'new', '4.host'), '{"policies": [');
    writeFileSync(join(md, 'new', '5.host'), gzipSync('not json'));
    writeFileSync(join(md, 'new', '6.host'), gzipSync('x').subarray(0, 8));
    const read = await readTlsReports([md, join(dir, 'missing')]);
    expect(read.reports).toHaveLength(2);
    expect(read.problems.map((p) => p.reason)).toEqual([
      'not valid JSON',
      'not valid JSON',
      'unexpected end of file',
      'cannot read: ENOENT',
    ]);
  });

  it('stops inflating a gzip bomb at the limit', () => {
    const bomb = gzipSync(Buffer.alloc(TLSRPT_MAX_REPORT_BYTES + 1024, 0x20));
    expect(bomb.length).toBeLessThan(1_000_000);
    expect(() => decodeReportBytes(bomb)).toThrow(/larger than|buffer/i);
  });
});

describe('summarizeTlsReports and tlsrptFindings', () => {
  it('sums by organisation, policy and failure type, with a finding per failure category', async () => {
    const read = await readTlsReports([TLS]);
    const s = summarizeTlsReports(read.reports);
    expect(s.reports).toBe(4);
    const example = s.policies.find((p) => p.policyDomain === 'example.com')!;
    expect(example).toMatchObject({
      failedSessions: 4,
      organizations: ['Example Inc.', 'Mail.ru'],
      reports: 2,
    });
    expect(s.failures.find((r) => r.organization === 'Mail.ru')).toMatchObject({
      resultType: 'sts-policy-fetch-error',
      sessions: 2,
      reasons: ['bad https response code: 404', 'bad https response code: 500'],
    });
    const f = tlsrptFindings(s);
    const ids = f.map((x) => `${x.id}:${x.status}:${x.severity}`);
    expect(ids).toEqual([
      'tlsrpt.sessions:pass:info',
      'tlsrpt.starttls:fail:high',
      'tlsrpt.certificate:fail:high',
      'tlsrpt.certificate:fail:high',
      'tlsrpt.policy-fetch:fail:medium',
    ]);
    expect(f[4]!.remediation).toContain('https://mta-sts.example.com/.well-known/mta-sts.txt');
    expect(f[1]!.gdpr.length).toBeGreaterThan(0);
    expect(f[1]!.title).toContain('3.6% of 5629');
  });

  it('warns when nothing was found and reports input problems as an error finding', () => {
    const f = tlsrptFindings(summarizeTlsReports([]), [{ source: 'x.json', reason: 'not valid JSON' }]);
    expect(f.map((x) => `${x.id}:${x.status}`)).toEqual(['tlsrpt.input:error', 'tlsrpt.reports:warn']);
  });

  it('keeps a low failure rate at medium severity', () => {
    const report = {
      organization: 'Org',
      reportId: '1',
      problems: [],
      policies: [
        {
          type: 'sts',
          domain: 'example.org',
          mxHosts: [],
          successfulSessions: 999,
          failedSessions: 1,
          failures: [{ resultType: 'certificate-host-mismatch', failedSessions: 1 }],
        },
      ],
    };
    const f = tlsrptFindings(summarizeTlsReports([{ source: 'a', report }]));
    expect(f.map((x) => `${x.id}:${x.severity}`)).toEqual(['tlsrpt.certificate:medium']);
  });
});
