import { describe, expect, it } from 'vitest';
import { rr, zoneContext } from '../../test/unit/support/domain-context.js';
import { findSingleTxtRecord, type SingleTxtRecordSpec } from './single-txt-record.js';

const D = 'example.org';
const N = `_demo.${D}`;

/** A spec whose absent remediation counts its calls, to show when it is (not) asked for. */
function spec(): SingleTxtRecordSpec & { absentFixes: number } {
  const s = {
    absentFixes: 0,
    id: 'demo.record',
    name: N,
    controls: ['transport.mta-sts'],
    severity: 'low' as const,
    isCandidate: (t: string) => t.startsWith('v=DEMO1'),
    lookupError: { title: 'lookup failed', notAssessed: 'the demo' },
    nullMx: { title: 'not needed', detail: 'null MX' },
    absentStatus: 'warn' as const,
    absent: {
      title: 'absent',
      detail: 'no record',
      remediation: () => {
        s.absentFixes++;
        return 'publish one';
      },
    },
    duplicated: {
      title: 'duplicated',
      detail: (count: number) => `${count} records`,
      remediation: () => 'keep one',
    },
  };
  return s;
}

describe('findSingleTxtRecord', () => {
  it('hands exactly one candidate record back, ignoring other TXT strings', async () => {
    const { ctx } = zoneContext(D, [rr.txt(N, 'v=DEMO1; a=b'), rr.txt(N, 'unrelated')]);
    const out = await findSingleTxtRecord(ctx, spec());
    expect(out).toMatchObject({ found: true, record: 'v=DEMO1; a=b', lookup: { ok: true } });
  });

  it('reports a null MX as info and asks for no remediation', async () => {
    const s = spec();
    const { ctx } = zoneContext(D, [rr.mx(D, 0, '.')]);
    const out = await findSingleTxtRecord(ctx, s);
    expect(out.found).toBe(false);
    expect(!out.found && out.findings).toMatchObject([
      { id: 'demo.record', status: 'info', title: 'not needed', detail: 'null MX' },
    ]);
    expect(s.absentFixes).toBe(0);
  });

  it('gives the absent verdict its own status, severity and remediation', async () => {
    const s = spec();
    const { ctx } = zoneContext(D, [rr.mx(D, 10, 'mx1.example.org')]);
    const out = await findSingleTxtRecord(ctx, s);
    expect(!out.found && out.findings).toMatchObject([
      { status: 'warn', severity: 'low', title: 'absent', remediation: 'publish one' },
    ]);
    expect(s.absentFixes).toBe(1);
  });

  it('fails duplicates with their count and keeps them as evidence', async () => {
    const { ctx } = zoneContext(D, [rr.txt(N, 'v=DEMO1; a=1'), rr.txt(N, 'v=DEMO1; a=2')]);
    const out = await findSingleTxtRecord(ctx, spec());
    expect(!out.found && out.findings).toMatchObject([
      {
        status: 'fail',
        detail: '2 records',
        remediation: 'keep one',
        evidence: { records: ['v=DEMO1; a=1', 'v=DEMO1; a=2'] },
      },
    ]);
  });

  it('turns a failed lookup into an error that names the query and what was not assessed', async () => {
    const { ctx } = zoneContext(D, [], { failures: { [N]: 'servfail' } });
    const out = await findSingleTxtRecord(ctx, spec());
    const f = !out.found ? out.findings[0] : undefined;
    expect(f).toMatchObject({ status: 'error', severity: 'low', title: 'lookup failed' });
    expect(f?.detail).toMatch(
      /^The TXT query for _demo\.example\.org could not be completed \(.+\); the demo was not assessed\.$/,
    );
  });
});
