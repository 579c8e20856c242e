import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { only, rr, zoneContext } from '../../test/unit/support/domain-context.js';
import { isStsRecord, mtaStsRecordCheck, validateStsRecord } from './mta-sts-record.js';

const D = 'example.org';
const N = `_mta-sts.${D}`;

describe('mtaStsRecordCheck', () => {
  it('passes one valid record', async () => {
    const { ctx, resolver } = zoneContext(D, [rr.txt(N, 'v=STSv1; id=20240101T000000Z')]);
    const f = only(await mtaStsRecordCheck(ctx), 'mta-sts.record');
    expect(f.status).toBe('pass');
    expect(f.detail).toContain('id=20240101T000000Z');
    expect(f.controls).toEqual(['transport.mta-sts']);
    expect(resolver.log).toHaveLength(1);
  });

  it('accepts extension fields with dashes and dots', async () => {
    const { ctx } = zoneContext(D, [rr.txt(N, 'v=STSv1; id=abc123; ext-a.b=1;')]);
    expect(only(await mtaStsRecordCheck(ctx), 'mta-sts.record').status).toBe('pass');
  });

  it('fails a missing record with the record and the policy to publish', async () => {
    const { ctx } = zoneContext(D, [rr.mx(D, 10, 'mx1.example.org'), rr.txt(N, 'unrelated')]);
    const f = only(await mtaStsRecordCheck(ctx), 'mta-sts.record');
    expect(f).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(f.remediation).toContain('_mta-sts.example.org. 3600 IN TXT "v=STSv1; id=20250301120000"');
    expect(f.remediation).toContain('https://mta-sts.example.org/.well-known/mta-sts.txt');
    expect(f.remediation).toContain(';   mx: mx1.example.org');
  });

  it('fails more than one record', async () => {
    const { ctx } = zoneContext(D, [rr.txt(N, 'v=STSv1; id=1'), rr.txt(N, 'v=STSv1; id=2')]);
    const f = only(await mtaStsRecordCheck(ctx), 'mta-sts.record');
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('2 TXT records');
  });

  it.each([
    ['v=STSv1; id=', 'must be 1 to 32'],
    ['v=STSv1; id=abc-def', 'must be 1 to 32'],
    [`v=STSv1; id=${'a'.repeat(33)}`, 'must be 1 to 32'],
    ['v=STSv1;', 'id= field is missing'],
    [`v=STSv1; id=1; x${'a'.repeat(40)}=1`, 'invalid extension name'],
    ['v=STSv1; id=1; _bad=x', 'invalid tag name'],
  ])('fails the malformed record %s', async (text, message) => {
    const { ctx } = zoneContext(D, [rr.txt(N, text)]);
    const f = only(await mtaStsRecordCheck(ctx), 'mta-sts.record');
    expect(f.status).toBe('fail');
    expect(f.detail).toContain(message);
  });

  it('reports lookup failures as errors', async () => {
    for (const mode of ['timeout', 'servfail'] as const) {
      const { ctx } = zoneContext(D, [rr.txt(N, 'v=STSv1; id=1')], { failures: { [N]: mode } });
      expect(only(await mtaStsRecordCheck(ctx), 'mta-sts.record').status).toBe('error');
    }
  });
});

describe('MTA-STS record grammar', () => {
  it('only takes records that start with v=STSv1 (case-sensitive)', () => {
    expect(isStsRecord('v=STSv1; id=1')).toBe(true);
    expect(isStsRecord('v=stsv1; id=1')).toBe(false);
    expect(isStsRecord('id=1; v=STSv1')).toBe(false);
  });

  it('never throws (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(Array.isArray(validateStsRecord(s).problems)).toBe(true);
      }),
    );
  });
});
