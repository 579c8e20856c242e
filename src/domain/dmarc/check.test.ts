import { describe, expect, it } from 'vitest';
import type { FailureMode } from '../../dns/zone-data.js';
import type { DnsRecord } from '../../dns/types.js';
import { only, rr, zoneContext } from '../../../test/unit/support/domain-context.js';
import { dmarcCheck } from './check.js';

const D = 'example.org';
const RUA = 'rua=mailto:dmarc@example.org';

async function run(
  record: string | string[] | null,
  extra: DnsRecord[] = [],
  failures?: Record<string, FailureMode>,
) {
  const texts = record === null ? [] : Array.isArray(record) ? record : [record];
  const { ctx, resolver } = zoneContext(D, [...texts.map((t) => rr.txt(`_dmarc.${D}`, t)), ...extra], {
    failures,
  });
  return { findings: await dmarcCheck(ctx), resolver };
}

describe('dmarcCheck: record discovery', () => {
  it('fails a domain without DMARC and gives the record to publish', async () => {
    const { findings } = await run(null);
    expect(findings).toHaveLength(1);
    const r = only(findings, 'dmarc.record');
    expect(r).toMatchObject({ status: 'fail', severity: 'high' });
    expect(r.remediation).toContain(
      '_dmarc.example.org. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.org"',
    );
  });

  it('ignores TXT records that do not start with v=DMARC1 and says so', async () => {
    const r = only((await run(['p=reject; v=DMARC1', 'some other text'])).findings, 'dmarc.record');
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('not as its first tag');
  });

  it('fails more than one DMARC record (RFC 7489 §6.6.3)', async () => {
    const r = only((await run(['v=DMARC1; p=reject', 'v=DMARC1; p=none'])).findings, 'dmarc.record');
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('2 TXT records');
  });

  it('reports a failed lookup as an error and does not fall back to the parent', async () => {
    for (const mode of ['timeout', 'servfail', 'refused'] as const) {
      const { ctx, resolver } = zoneContext(
        'mail.example.org',
        [rr.txt(`_dmarc.${D}`, 'v=DMARC1; p=reject')],
        {
          failures: { '_dmarc.mail.example.org': mode },
        },
      );
      const f = await dmarcCheck(ctx);
      expect(f).toHaveLength(1);
      expect(only(f, 'dmarc.record').status).toBe('error');
      expect(resolver.log.map((q) => q.name)).toEqual(['_dmarc.mail.example.org']);
    }
  });

  it('falls back to the organisational domain and applies sp there', async () => {
    const { ctx, resolver } = zoneContext('mail.example.org', [
      rr.txt(`_dmarc.${D}`, `v=DMARC1; p=reject; sp=none; ${RUA}`),
    ]);
    const f = await dmarcCheck(ctx);
    expect(resolver.log.map((q) => q.name)).toEqual(['_dmarc.mail.example.org', '_dmarc.example.org']);
    expect(only(f, 'dmarc.record')).toMatchObject({
      status: 'pass',
      title: expect.stringContaining('organisational'),
    });
    const p = only(f, 'dmarc.policy');
    expect(p.status).toBe('warn');
    expect(p.detail).toContain('its sp= tag');
    expect(p.remediation).toContain('_dmarc.example.org. 3600 IN TXT "v=DMARC1; p=reject; sp=reject;');
  });

  it('uses the org domain from the public suffix list, not the parent label', async () => {
    const { ctx, resolver } = zoneContext('a.b.example.co.uk', [
      rr.txt('_dmarc.example.co.uk', 'v=DMARC1; p=reject'),
    ]);
    const f = await dmarcCheck(ctx);
    expect(resolver.log.map((q) => q.name)).toEqual(['_dmarc.a.b.example.co.uk', '_dmarc.example.co.uk']);
    expect(only(f, 'dmarc.policy').status).toBe('pass');
  });
});

describe('dmarcCheck: a good record', () => {
  it('passes p=reject with internal aggregate reports', async () => {
    const { findings, resolver } = await run(`v=DMARC1; p=reject; ${RUA}`);
    const byId = Object.fromEntries(findings.map((f) => [f.id, f.status]));
    expect(byId).toEqual({
      'dmarc.record': 'pass',
      'dmarc.syntax': 'pass',
      'dmarc.policy': 'pass',
      'dmarc.subdomain-policy': 'pass',
      'dmarc.pct': 'pass',
      'dmarc.alignment': 'info',
      'dmarc.fo': 'info',
      'dmarc.rua': 'pass',
      'dmarc.external-report-auth': 'pass',
      'dmarc.ruf': 'pass',
    });
    expect(resolver.log).toHaveLength(1);
    for (const f of findings) expect(f.evidence).toMatchObject({ record: `v=DMARC1; p=reject; ${RUA}` });
  });
});

describe('dmarcCheck: policy', () => {
  it('warns about p=none and suggests an enforcing policy', async () => {
    const p = only((await run(`v=DMARC1; p=none; ${RUA}`)).findings, 'dmarc.policy');
    expect(p).toMatchObject({ status: 'warn', severity: 'medium' });
    expect(p.remediation).toContain(`"v=DMARC1; p=reject; ${RUA}"`);
  });

  it('passes quarantine with a note that reject is stronger', async () => {
    const p = only((await run(`v=DMARC1; p=quarantine; ${RUA}`)).findings, 'dmarc.policy');
    expect(p.status).toBe('pass');
    expect(p.detail).toContain('p=reject is stronger');
  });

  it('treats a missing p with a valid rua as p=none', async () => {
    const f = (await run(`v=DMARC1; ${RUA}`)).findings;
    expect(only(f, 'dmarc.policy').detail).toContain('act as if p=none');
    expect(only(f, 'dmarc.syntax').status).toBe('fail');
    expect(only(f, 'dmarc.syntax').remediation).toContain(`"v=DMARC1; p=none; ${RUA}"`);
  });

  it('fails a record that triggers no DMARC processing', async () => {
    const p = only((await run('v=DMARC1; p=bogus')).findings, 'dmarc.policy');
    expect(p).toMatchObject({ status: 'fail', severity: 'high' });
    expect(p.remediation).toContain('p=reject; rua=mailto:dmarc-reports@example.org');
  });

  it('warns when sp is weaker than p', async () => {
    const s = only((await run(`v=DMARC1; p=reject; sp=none; ${RUA}`)).findings, 'dmarc.subdomain-policy');
    expect(s.status).toBe('warn');
    expect(s.remediation).toContain(`"v=DMARC1; p=reject; ${RUA}"`);
    const ok = only(
      (await run(`v=DMARC1; p=quarantine; sp=reject; ${RUA}`)).findings,
      'dmarc.subdomain-policy',
    );
    expect(ok.status).toBe('pass');
  });

  it('warns about pct below 100 only when the policy enforces something', async () => {
    const w = only((await run(`v=DMARC1; p=reject; pct=25; ${RUA}`)).findings, 'dmarc.pct');
    expect(w).toMatchObject({ status: 'warn', severity: 'low' });
    expect(w.remediation).toContain(`"v=DMARC1; p=reject; ${RUA}"`);
    expect(only((await run(`v=DMARC1; p=reject; pct=0; ${RUA}`)).findings, 'dmarc.pct').severity).toBe(
      'medium',
    );
    expect(only((await run(`v=DMARC1; p=none; pct=25; ${RUA}`)).findings, 'dmarc.pct').status).toBe('info');
  });

  it('describes alignment and failure options', async () => {
    const f = (await run(`v=DMARC1; p=reject; adkim=s; fo=1; ${RUA}; ruf=mailto:f@example.org`)).findings;
    expect(only(f, 'dmarc.alignment').title).toBe('DMARC alignment: DKIM strict, SPF relaxed');
    expect(only(f, 'dmarc.fo').detail).toContain('when either SPF or DKIM fails');
  });

  it('builds every remediation on a cleaned record', async () => {
    const f = (await run('v=DMARC1; p=none; rua=mailto:a@example.org,bad; zz=1')).findings;
    const fixes = f.map((x) => x.remediation).filter((r): r is string => r !== undefined);
    expect(fixes.length).toBeGreaterThanOrEqual(3);
    for (const r of fixes) {
      expect(r).not.toContain('zz=1');
      expect(r).not.toContain(',bad');
    }
  });

  it('warns about unknown tags and fails bad values', async () => {
    const w = only((await run(`v=DMARC1; p=reject; foo=1; ${RUA}`)).findings, 'dmarc.syntax');
    expect(w).toMatchObject({ status: 'warn', severity: 'low' });
    expect(w.remediation).not.toContain('foo');
    const f = only((await run(`v=DMARC1; p=reject; adkim=x; ${RUA}`)).findings, 'dmarc.syntax');
    expect(f).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(f.detail).toContain('adkim=x');
  });
});

describe('dmarcCheck: reports', () => {
  it('warns when no aggregate reports are requested', async () => {
    const r = only((await run('v=DMARC1; p=reject')).findings, 'dmarc.rua');
    expect(r.status).toBe('warn');
    expect(r.remediation).toContain('"v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.org"');
  });

  it('fails malformed aggregate URIs and keeps the good ones in the fix', async () => {
    const r = only(
      (await run(`v=DMARC1; p=reject; rua=dmarc@example.org,mailto:ok@example.org`)).findings,
      'dmarc.rua',
    );
    expect(r.status).toBe('fail');
    expect(r.remediation).toContain('rua=mailto:ok@example.org"');
  });

  it('warns about non-mailto aggregate URIs', async () => {
    const r = only((await run('v=DMARC1; p=reject; rua=https://r.example.org/x')).findings, 'dmarc.rua');
    expect(r).toMatchObject({ status: 'warn', severity: 'low' });
  });

  it('parses size limits into the pass detail', async () => {
    const r = only((await run('v=DMARC1; p=reject; rua=mailto:a@example.org!10m')).findings, 'dmarc.rua');
    expect(r.detail).toContain('at most 10M');
  });

  it('warns when an external destination has not authorised the reports', async () => {
    const { findings, resolver } = await run('v=DMARC1; p=reject; rua=mailto:x@reports.vendor.example');
    const a = only(findings, 'dmarc.external-report-auth');
    expect(a).toMatchObject({ status: 'warn', severity: 'medium' });
    expect(a.remediation).toContain(
      'example.org._report._dmarc.reports.vendor.example. 3600 IN TXT "v=DMARC1"',
    );
    expect(resolver.log.map((q) => q.name)).toContain('example.org._report._dmarc.reports.vendor.example');
  });

  it('passes an external destination that publishes the authorisation', async () => {
    const auth = rr.txt('example.org._report._dmarc.reports.vendor.example', 'v=DMARC1');
    const a = only(
      (await run('v=DMARC1; p=reject; rua=mailto:x@reports.vendor.example', [auth])).findings,
      'dmarc.external-report-auth',
    );
    expect(a.status).toBe('pass');
  });

  it('reports a failed authorisation lookup as an error', async () => {
    const { findings } = await run('v=DMARC1; p=reject; rua=mailto:x@reports.vendor.example', [], {
      'example.org._report._dmarc.reports.vendor.example': 'servfail',
    });
    expect(only(findings, 'dmarc.external-report-auth').status).toBe('error');
  });

  it('does not ask about destinations under the same organisational domain', async () => {
    const { resolver } = await run('v=DMARC1; p=reject; rua=mailto:x@reports.example.org');
    expect(resolver.log).toHaveLength(1);
  });

  it('warns (medium) about forensic reports kept in-house', async () => {
    const r = only(
      (await run(`v=DMARC1; p=reject; ${RUA}; ruf=mailto:forensic@example.org`)).findings,
      'dmarc.ruf',
    );
    expect(r).toMatchObject({
      status: 'warn',
      severity: 'medium',
      controls: ['minimisation.forensic-reports'],
    });
    expect(r.gdpr).toContain('Art. 5(1)(c)');
    expect(r.remediation).toContain(`"v=DMARC1; p=reject; ${RUA}"`);
  });

  it('warns (high) about forensic reports to a third party, naming its registrable domain only', async () => {
    const f = (await run(`v=DMARC1; p=reject; ${RUA}; ruf=mailto:jane.doe@ruf.vendor.co.uk`)).findings;
    const r = only(f, 'dmarc.ruf');
    expect(r).toMatchObject({ status: 'warn', severity: 'high' });
    expect(r.detail).toContain('vendor.co.uk');
    expect(r.detail).not.toContain('jane.doe');
    expect(JSON.stringify(r.evidence)).toContain('ruf.vendor.co.uk');
    expect(only(f, 'dmarc.external-report-auth').detail).toContain('ruf.vendor.co.uk');
  });
});
