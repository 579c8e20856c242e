import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import type { MtaStsFetchFailure, MtaStsFetchOk } from './fetch.js';
import { mtaStsPolicyFindings } from './findings.js';
import { recommendedPolicy } from './remediation.js';
import { parseMtaStsPolicy } from './parse.js';
import { lookupMtaStsRecord, type MtaStsRecordState } from './record.js';

const DOMAIN = 'example.org';
const URL = `https://mta-sts.${DOMAIN}/.well-known/mta-sts.txt`;
const MX = ['mx1.example.org', 'mx2.example.org'];
const RECORD: MtaStsRecordState = { state: 'valid', id: '20240101', text: 'v=STSv1; id=20240101' };

function served(text: string, extra: Partial<MtaStsFetchOk> = {}): MtaStsFetchOk {
  return {
    ok: true,
    url: URL,
    ms: 5,
    text,
    contentType: 'text/plain',
    status: 200,
    bytes: text.length,
    invalidUtf8: false,
    ...extra,
  };
}

function failed(stage: MtaStsFetchFailure['stage'], reason: string, incomplete = false): MtaStsFetchFailure {
  return { ok: false, url: URL, ms: 5, stage, reason, incomplete };
}

function policy(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

const GOOD = policy(['version: STSv1', 'mode: enforce', 'mx: *.example.org', 'max_age: 1209600']);

function byId(findings: Finding[]): Record<string, Finding> {
  return Object.fromEntries(findings.map((f) => [f.id, f]));
}

describe('mtaStsPolicyFindings', () => {
  it('passes a good, announced, enforced policy covering every MX', () => {
    const f = mtaStsPolicyFindings(DOMAIN, RECORD, served(GOOD), MX);
    expect(f.map((x) => x.id)).toEqual([
      'mta-sts.policy.fetch',
      'mta-sts.policy.syntax',
      'mta-sts.policy.mode',
      'mta-sts.policy.mx',
      'mta-sts.policy.max-age',
      'mta-sts.policy.record',
    ]);
    for (const x of f) {
      expect(x.status, x.id).toBe('pass');
      expect(x.controls).toEqual(['transport.mta-sts']);
      expect(x.gdpr.length).toBeGreaterThan(0);
    }
  });

  it('reports mode testing as warn and none as fail', () => {
    const testing = byId(
      mtaStsPolicyFindings(DOMAIN, RECORD, served(GOOD.replace('enforce', 'testing')), MX),
    );
    expect(testing['mta-sts.policy.mode']).toMatchObject({ status: 'warn', severity: 'medium' });
    expect(testing['mta-sts.policy.mode']!.remediation).toContain('mode: enforce');
    const none = byId(
      mtaStsPolicyFindings(
        DOMAIN,
        RECORD,
        served(policy(['version: STSv1', 'mode: none', 'max_age: 86400'])),
        MX,
      ),
    );
    expect(none['mta-sts.policy.mode']).toMatchObject({ status: 'fail' });
    expect(none['mta-sts.policy.mx']).toMatchObject({ status: 'info' });
  });

  it('lists the MX hosts no pattern matches, high in enforce mode', () => {
    const text = policy([
      'version: STSv1',
      'mode: enforce',
      'mx: mx1.example.org',
      'mx: old.example.org',
      'max_age: 604800',
    ]);
    const f = byId(mtaStsPolicyFindings(DOMAIN, RECORD, served(text), [...MX, 'a.b.example.org']))[
      'mta-sts.policy.mx'
    ]!;
    expect(f).toMatchObject({ status: 'fail', severity: 'high' });
    expect(f.evidence).toMatchObject({
      unmatched: ['mx2.example.org', 'a.b.example.org'],
      unusedPatterns: ['old.example.org'],
    });
    expect(f.detail).toContain('mx2.example.org, a.b.example.org');
    // The remediation keeps the pattern in use and adds the missing hosts, and drops the stale one.
    expect(f.remediation).toContain('mx: mx1.example.org\nmx: mx2.example.org\nmx: a.b.example.org');
    expect(f.remediation).not.toContain('old.example.org');
    const testing = byId(
      mtaStsPolicyFindings(DOMAIN, RECORD, served(text.replace('enforce', 'testing')), MX),
    );
    expect(testing['mta-sts.policy.mx']).toMatchObject({ status: 'fail', severity: 'medium' });
  });

  it('judges max_age against one day and one week', () => {
    const at = (age: string) =>
      byId(mtaStsPolicyFindings(DOMAIN, RECORD, served(GOOD.replace('1209600', age)), MX))[
        'mta-sts.policy.max-age'
      ]!;
    expect(at('3600')).toMatchObject({ status: 'fail' });
    expect(at('86400')).toMatchObject({ status: 'warn', severity: 'low' });
    expect(at('604799').status).toBe('warn');
    expect(at('604800').status).toBe('pass');
    expect(at('31557600').status).toBe('pass');
    const invalid = at('31557601');
    expect(invalid.status).toBe('fail');
    expect(invalid.detail).toMatch(/missing or invalid/);
  });

  it('fails the syntax of an invalid policy, and warns on tolerated deviations', () => {
    const bad = byId(mtaStsPolicyFindings(DOMAIN, RECORD, served('garbage'), MX));
    expect(bad['mta-sts.policy.syntax']).toMatchObject({ status: 'fail', severity: 'high' });
    expect(bad['mta-sts.policy.syntax']!.remediation).toContain('version: STSv1\nmode: enforce');
    expect(bad['mta-sts.policy.mode']!.status).toBe('fail');
    const lf = byId(mtaStsPolicyFindings(DOMAIN, RECORD, served(GOOD.replace(/\r\n/g, '\n')), MX));
    expect(lf['mta-sts.policy.syntax']).toMatchObject({ status: 'warn', severity: 'low' });
    const binary = byId(mtaStsPolicyFindings(DOMAIN, RECORD, served(GOOD, { invalidUtf8: true }), MX));
    expect(binary['mta-sts.policy.syntax']!.detail).toMatch(/not valid UTF-8/);
  });

  it('tells announced-but-unfetchable from published-but-unannounced', () => {
    const unfetchable = mtaStsPolicyFindings(DOMAIN, RECORD, failed('redirect', 'HTTP 301 redirect'), MX);
    expect(unfetchable.map((f) => f.id)).toEqual(['mta-sts.policy.fetch', 'mta-sts.policy.record']);
    expect(unfetchable[0]).toMatchObject({ status: 'fail', severity: 'high' });
    expect(unfetchable[0]!.detail).toMatch(/redirects: HTTP 301/);
    expect(unfetchable[1]).toMatchObject({ status: 'fail' });
    expect(unfetchable[0]!.remediation).toContain(`_mta-sts.${DOMAIN}.`);

    const unannounced = byId(mtaStsPolicyFindings(DOMAIN, { state: 'absent' }, served(GOOD), MX));
    expect(unannounced['mta-sts.policy.record']).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(unannounced['mta-sts.policy.record']!.detail).toMatch(/never look for it/);

    const malformed = byId(
      mtaStsPolicyFindings(
        DOMAIN,
        { state: 'invalid', texts: ['v=STSv1;'], problems: ['the id= field is missing'] },
        served(GOOD),
        MX,
      ),
    );
    expect(malformed['mta-sts.policy.record']!.status).toBe('fail');
    expect(malformed['mta-sts.policy.record']!.detail).toContain('the id= field is missing');
  });

  it('reports a fetch that could not complete as error, not fail', () => {
    const f = mtaStsPolicyFindings(DOMAIN, RECORD, failed('http', 'timed out after 10000 ms', true), MX);
    expect(f[0]).toMatchObject({ id: 'mta-sts.policy.fetch', status: 'error' });
    expect(f[1]).toMatchObject({ id: 'mta-sts.policy.record', status: 'error' });
  });

  it('is only informational when the domain has no MTA-STS at all', () => {
    const f = mtaStsPolicyFindings(
      DOMAIN,
      { state: 'absent' },
      failed('dns', 'mta-sts.example.org does not exist (NXDOMAIN)'),
      MX,
    );
    expect(f.map((x) => x.status)).toEqual(['info', 'info']);
    expect(f[0]!.remediation).toContain('mx: mx1.example.org\nmx: mx2.example.org');
  });

  it('reports a record lookup failure as error', () => {
    const f = byId(
      mtaStsPolicyFindings(DOMAIN, { state: 'error', reason: 'E_DNS_TIMEOUT' }, served(GOOD), MX),
    );
    expect(f['mta-sts.policy.record']!.status).toBe('error');
  });

  it('keeps the served text as evidence, capped', () => {
    const big = `${GOOD}x-pad: ${'y'.repeat(20_000)}\r\n`;
    const ev = mtaStsPolicyFindings(DOMAIN, RECORD, served(big), MX)[0]!.evidence as Record<string, unknown>;
    expect((ev.text as string).length).toBeLessThan(big.length);
    expect(ev.textTruncated).toBe(true);
  });
});

describe('recommendedPolicy', () => {
  it('keeps a sensible max_age and the wildcard already in use', () => {
    const current = parseMtaStsPolicy(GOOD.replace('enforce', 'testing'));
    expect(recommendedPolicy(MX, current)).toBe(
      'version: STSv1\r\nmode: enforce\r\nmx: *.example.org\r\nmax_age: 1209600\r\n',
    );
  });

  it('produces a policy the parser accepts', () => {
    const text = recommendedPolicy(['MX1.Example.org.', 'mx1.example.org']);
    const p = parseMtaStsPolicy(text);
    expect(p.valid).toBe(true);
    expect(p.mx).toEqual(['mx1.example.org']);
    expect(p.maxAge).toBe(604800);
  });
});

describe('lookupMtaStsRecord', () => {
  const txt = (name: string, text: string) => ({
    name,
    type: 'TXT' as const,
    ttl: 300,
    data: { text, strings: [text] },
  });
  const resolver = new MemoryResolver({
    records: [
      txt('_mta-sts.good.test', 'v=STSv1; id=20240101T000000'),
      txt('_mta-sts.noid.test', 'v=STSv1;'),
      txt('_mta-sts.two.test', 'v=STSv1; id=1'),
      txt('_mta-sts.two.test', 'v=STSv1; id=2'),
      txt('_mta-sts.other.test', 'hello'),
    ],
    signedZones: [],
    failures: { '_mta-sts.broken.test': 'timeout' },
  });

  it.each([
    ['good.test', { state: 'valid', id: '20240101T000000' }],
    ['noid.test', { state: 'invalid' }],
    ['two.test', { state: 'invalid' }],
    ['other.test', { state: 'absent' }],
    ['missing.test', { state: 'absent' }],
    ['broken.test', { state: 'error' }],
  ])('%s → %j', async (domain, want) => {
    expect(await lookupMtaStsRecord(domain, resolver)).toMatchObject(want);
  });
});
