import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.js';
import { buildRun } from '../../src/report/model.js';
import type { Finding, Status } from '../../src/core/finding.js';
import { scanDomains, type DomainReport } from '../../src/domain/scan.js';
import { labTransportOptions, startLab } from '../../src/lab/lab.js';
import { ACCESS_PORTS } from '../../src/smtp/access/services.js';

// Handles Node keeps for its own bookkeeping; sockets and timers are what must not outlive a scan.
const leakable = (list: string[]) => list.filter((r) => /TCP|UDP|TLS|Timeout/.test(r)).sort();
const sockets = (list: string[]) => list.filter((r) => r !== 'Timeout');
const timers = (list: string[]) => list.filter((r) => r === 'Timeout').length;

let reports: DomainReport[];
let before: string[];
let after: string[];

beforeAll(async () => {
  before = leakable(process.getActiveResourcesInfo());
  const lab = await startLab();
  const transport = labTransportOptions(lab);
  reports = await scanDomains(lab.scenario.scanDomains, {
    resolver: lab.resolver,
    timeoutS: 20,
    ...(transport ? { transport: { ...transport, accessPorts: ACCESS_PORTS } } : {}),
  });
  await lab.close();
  // Closed handles leave Node's list a few ticks after close() resolves: wait for that, bounded.
  const deadline = Date.now() + 2000;
  do {
    after = leakable(process.getActiveResourcesInfo());
    if (sockets(after).length === 0 && timers(after) <= timers(before)) break;
    await new Promise((r) => setTimeout(r, 10));
  } while (Date.now() < deadline);
}, 60_000);

const findingsOf = (domain: string, id: string): Finding[] =>
  reports.find((r) => r.domain === domain)?.findings.filter((f) => f.id === id) ?? [];
const worst = (domain: string, id: string): Status | undefined => {
  const order: Status[] = ['fail', 'error', 'warn', 'info', 'pass'];
  const statuses = findingsOf(domain, id).map((f) => f.status);
  return order.find((s) => statuses.includes(s));
};

describe('full scan of the hostile lab', () => {
  it('leaves no socket or timer open', () => {
    expect(sockets(after), JSON.stringify(after)).toEqual(sockets(before));
    // The test runner keeps a timer of its own; the scan must add none.
    expect(timers(after)).toBeLessThanOrEqual(timers(before));
  });

  it.each([
    ['strict.example', 'smtp.starttls', 'pass'],
    ['strict.example', 'smtp.certificate', 'pass'],
    ['strict.example', 'smtp.banner', 'pass'],
    ['lookups.example', 'smtp.starttls', 'fail'],
    ['loop.example', 'smtp.certificate', 'fail'],
    ['broad.example', 'smtp.certificate', 'fail'],
    ['twice.example', 'smtp.certificate', 'fail'],
    ['typo.example', 'smtp.tls-version', 'fail'],
    ['relaxed.example', 'smtp.banner', 'warn'],
    ['open.example', 'smtp.vrfy', 'fail'],
    ['flaky.example', 'smtp.connect', 'error'],
    ['stsredirect.example', 'smtp.connect', 'error'],
    ['weakkeys.example', 'smtp.certificate', 'warn'],
    ['strict.example', 'dane.match', 'pass'],
    ['forensic.example', 'dane.match', 'fail'],
    ['xn--bcher-kva.example', 'dane.match', 'pass'],
    ['strict.example', 'mta-sts.policy.mode', 'pass'],
    ['forensic.example', 'mta-sts.policy.mode', 'warn'],
    ['stsnone.example', 'mta-sts.policy.mode', 'fail'],
    ['stsmismatch.example', 'mta-sts.policy.mx', 'fail'],
    ['stsredirect.example', 'mta-sts.policy.fetch', 'fail'],
    ['ststype.example', 'mta-sts.policy.fetch', 'fail'],
    ['stsbig.example', 'mta-sts.policy.fetch', 'fail'],
    ['relaxed.example', 'submission.plaintext-auth', 'fail'],
    ['relaxed.example', 'submission.implicit-tls', 'fail'],
    ['strict.example', 'submission.implicit-tls', 'pass'],
  ] as const)('%s: %s is %s', (domain, id, status) => {
    expect(worst(domain, id), JSON.stringify(findingsOf(domain, id).map((f) => f.detail))).toBe(status);
  });

  it('tells a hung server (error) apart from one without TLS (fail)', () => {
    expect(findingsOf('flaky.example', 'smtp.starttls').every((f) => f.status !== 'fail')).toBe(true);
  });

  it('full-scan JSON (grades, smtp, dane, submission findings) validates against the schema', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../schemas/scan-report.schema.json', import.meta.url), 'utf8'),
    );
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const doc = JSON.parse(
      renderJson(buildRun(reports, { startedAt: new Date(), finishedAt: new Date(), resolvers: [] })),
    );
    validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(doc.domains.filter((d: { grade?: unknown }) => d.grade).length).toBe(reports.length);
  });

  it('grades domains against the DSK guidance', () => {
    const grade = (d: string) => reports.find((r) => r.domain === d)?.grade;
    expect(grade('strict.example')).toMatchObject({ normalRisk: 'pass', highRisk: 'pass' });
    expect(grade('forensic.example')).toMatchObject({ normalRisk: 'fail', highRisk: 'fail' });
    expect(grade('lookups.example')?.normalRisk).toBe('fail');
    expect(grade('lookups.example')?.reasons.length).toBeGreaterThan(0);
  });
});
