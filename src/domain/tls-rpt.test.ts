import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { only, rr, zoneContext } from '../../test/unit/support/domain-context.js';
import { parseTlsRpt, tlsRptCheck } from './tls-rpt.js';

const D = 'example.org';
const N = `_smtp._tls.${D}`;

describe('tlsRptCheck', () => {
  it('passes one record with mailto and https destinations', async () => {
    const { ctx } = zoneContext(D, [
      rr.txt(N, 'v=TLSRPTv1; rua=mailto:tls@example.org, https://r.example.net/v1'),
    ]);
    const f = await tlsRptCheck(ctx);
    expect(only(f, 'tls-rpt.record').status).toBe('pass');
    const rua = only(f, 'tls-rpt.rua');
    expect(rua.status).toBe('pass');
    expect(rua.detail).toContain('r.example.net');
  });

  it('warns when no record is published and gives one', async () => {
    const { ctx } = zoneContext('mail.example.org', []);
    const f = await tlsRptCheck(ctx);
    expect(f).toHaveLength(1);
    const r = only(f, 'tls-rpt.record');
    expect(r.status).toBe('warn');
    expect(r.remediation).toBe(
      '_smtp._tls.mail.example.org. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@example.org"',
    );
  });

  it('fails more than one record', async () => {
    const { ctx } = zoneContext(D, [
      rr.txt(N, 'v=TLSRPTv1; rua=mailto:a@example.org'),
      rr.txt(N, 'v=TLSRPTv1; rua=mailto:b@example.org'),
    ]);
    expect(only(await tlsRptCheck(ctx), 'tls-rpt.record').status).toBe('fail');
  });

  it('fails bad URIs and keeps the good ones in the fix', async () => {
    const { ctx } = zoneContext(D, [
      rr.txt(N, 'v=TLSRPTv1; rua=mailto:a@example.org,http://r.example.org,ftp://x.example'),
    ]);
    const rua = only(await tlsRptCheck(ctx), 'tls-rpt.rua');
    expect(rua.status).toBe('fail');
    expect(rua.detail).toContain('"http://r.example.org": only mailto: and https: are defined');
    expect(rua.detail).toContain('"ftp://x.example": only mailto: and https: are defined');
    expect(rua.remediation).toBe(
      '_smtp._tls.example.org. 3600 IN TXT "v=TLSRPTv1; rua=mailto:a@example.org"',
    );
  });

  it('fails a malformed https URI', async () => {
    const { ctx } = zoneContext(D, [rr.txt(N, 'v=TLSRPTv1; rua=https://bad host/x')]);
    const rua = only(await tlsRptCheck(ctx), 'tls-rpt.rua');
    expect(rua.status).toBe('fail');
    expect(rua.detail).toContain('No report can be delivered');
  });

  it('fails a record without rua', async () => {
    const { ctx } = zoneContext(D, [rr.txt(N, 'v=TLSRPTv1;')]);
    const rua = only(await tlsRptCheck(ctx), 'tls-rpt.rua');
    expect(rua.status).toBe('fail');
    expect(rua.detail).toContain('rua= field is missing');
  });

  it('reports lookup failures as errors', async () => {
    for (const mode of ['timeout', 'servfail', 'refused'] as const) {
      const { ctx } = zoneContext(D, [], { failures: { [N]: mode } });
      expect(only(await tlsRptCheck(ctx), 'tls-rpt.record').status).toBe('error');
    }
  });
});

describe('parseTlsRpt', () => {
  it('never throws (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string().map((s) => `v=TLSRPTv1; rua=${s}`),
        ),
        (s) => {
          expect(Array.isArray(parseTlsRpt(s).problems)).toBe(true);
        },
      ),
    );
  });
});
