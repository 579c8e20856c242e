import { describe, expect, it } from 'vitest';
import { only, rr, zoneContext } from '../../test/unit/support/domain-context.js';
import type { Config } from '../core/config.js';
import type { DnsRecord } from '../dns/types.js';
import { SPF_MAX_TREE_NODES } from '../core/limits.js';
import { defaultCatalog } from './catalog.js';
import { discoverProcessors } from './discover.js';
import { processorFindings, transferProblem } from './findings.js';
import { ProcessorRegister } from './register.js';
import type { DiscoveredProcessor } from './types.js';

const D = 'org.example';

/** A domain using Microsoft 365, SendGrid, an unknown sender, DMARC reports to dmarcian with ruf. */
const RECORDS: DnsRecord[] = [
  rr.mx(D, 0, 'org-example.mail.protection.outlook.com'),
  rr.txt(
    D,
    'v=spf1 include:_spf.org.example include:spf.protection.outlook.com include:sendgrid.net include:spf.unknownsender.net -all',
  ),
  rr.txt(`_spf.${D}`, 'v=spf1 ip4:192.0.2.0/28 include:spf.mailjet.com -all'),
  rr.txt('spf.protection.outlook.com', 'v=spf1 ip4:198.51.100.0/26 include:spf2.protection.outlook.com -all'),
  rr.txt('spf2.protection.outlook.com', 'v=spf1 ip4:198.51.100.64/26 -all'),
  rr.txt('sendgrid.net', 'v=spf1 ip4:198.51.100.128/27 ~all'),
  rr.txt('spf.mailjet.com', 'v=spf1 ip4:198.51.100.160/27 ~all'),
  rr.txt('spf.unknownsender.net', 'v=spf1 ip4:203.0.113.0/28 include:spf.partner.example -all'),
  rr.txt('spf.partner.example', 'v=spf1 ip4:203.0.113.16/28 -all'),
  rr.a('org-example.mail.protection.outlook.com', '198.51.100.1'),
  rr.cname(`selector1._domainkey.${D}`, 'selector1-org-example._domainkey.orgexample.onmicrosoft.com'),
  rr.txt('selector1-org-example._domainkey.orgexample.onmicrosoft.com', 'v=DKIM1; k=rsa; p=MIIB'),
  rr.cname(`s1._domainkey.${D}`, 's1.domainkey.u1.wl1.sendgrid.net'),
  rr.txt('s1.domainkey.u1.wl1.sendgrid.net', 'v=DKIM1; k=rsa; p=MIIB'),
  rr.txt(
    `_dmarc.${D}`,
    'v=DMARC1; p=reject; rua=mailto:a@ag.dmarcian.com,mailto:dmarc@org.example; ruf=mailto:f@fr.dmarcian.com',
  ),
  rr.txt(`_smtp._tls.${D}`, 'v=TLSRPTv1; rua=mailto:tls@x.uriports.com'),
  rr.txt(`_mta-sts.${D}`, 'v=STSv1; id=1'),
  rr.cname(`mta-sts.${D}`, 'org-example.mta-sts.mailhardener.com'),
  rr.a('org-example.mta-sts.mailhardener.com', '198.51.100.200'),
];

async function discover(records: DnsRecord[], config: Config = {}, domain = D) {
  const { ctx, resolver } = zoneContext(domain, records);
  const register = new ProcessorRegister(defaultCatalog(), config);
  const result = await discoverProcessors(ctx, register);
  const findings = processorFindings(domain, result.processors, register, result.dmarcRecord);
  return { ...result, findings, resolver };
}

const byKey = (list: DiscoveredProcessor[], key: string) => list.find((p) => p.key === key);

describe('discoverProcessors', () => {
  it('finds every processor with its roles and evidence', async () => {
    const { processors } = await discover(RECORDS);
    expect(byKey(processors, 'microsoft-365')?.roles).toEqual([
      'inbound-mx',
      'outbound-sender',
      'dkim-signer',
    ]);
    expect(byKey(processors, 'sendgrid')?.roles).toEqual(['outbound-sender', 'dkim-signer']);
    expect(byKey(processors, 'dmarcian')?.roles).toEqual(['report-aggregate', 'report-forensic']);
    expect(byKey(processors, 'uriports')?.roles).toEqual(['report-tls']);
    expect(byKey(processors, 'mailhardener')?.roles).toEqual(['mta-sts-host']);
    // Found below the domain's own _spf include: internal nodes are walked through.
    expect(byKey(processors, 'mailjet')?.evidence).toEqual([
      { role: 'outbound-sender', source: 'spf', name: 'spf.mailjet.com', via: 'include:spf.mailjet.com' },
    ]);
    expect(byKey(processors, 'microsoft-365')).toMatchObject({
      legalName: 'Microsoft Corporation',
      country: 'US',
    });
  });

  it('lists unknown third parties by registrable domain, not what they include themselves', async () => {
    const { processors } = await discover(RECORDS);
    const unknown = processors.filter((p) => !p.identified);
    expect(unknown.map((p) => p.key)).toEqual(['unidentified:unknownsender.net']);
    expect(unknown[0]?.registrableDomain).toBe('unknownsender.net');
    // Microsoft's own nested include is Microsoft's business.
    expect(byKey(processors, 'microsoft-365')?.evidence.map((e) => e.name)).not.toContain(
      'spf2.protection.outlook.com',
    );
  });

  it('keeps report addresses out of the evidence (domains only)', async () => {
    const { processors } = await discover(RECORDS);
    expect(JSON.stringify(processors)).not.toMatch(/[a-z]@/);
  });

  it('never lists the organisation\u2019s own names or its internal zones', async () => {
    const { processors } = await discover(RECORDS, {
      organisation: { internalZones: ['unknownsender.net'] },
    });
    expect(processors.some((p) => p.key.includes('org.example'))).toBe(false);
    expect(byKey(processors, 'unidentified:unknownsender.net')).toBeUndefined();
  });

  it('ends on include loops and on trees wider than the node cap', async () => {
    const loop = [
      rr.txt(D, 'v=spf1 include:a.loop.example -all'),
      rr.txt('a.loop.example', 'v=spf1 include:b.loop.example -all'),
      rr.txt('b.loop.example', 'v=spf1 include:a.loop.example -all'),
    ];
    const { processors } = await discover(loop);
    expect(processors.map((p) => p.key)).toEqual(['unidentified:loop.example']);
    // A self-include loop inside the organisation's own zone is walked once.
    const self = [
      rr.txt(D, 'v=spf1 include:_spf.org.example -all'),
      rr.txt(`_spf.${D}`, `v=spf1 include:${D} include:sendgrid.net -all`),
    ];
    expect((await discover(self)).processors.map((p) => p.key)).toEqual(['sendgrid']);
    const wide = [
      rr.txt(D, `v=spf1 ${Array.from({ length: 40 }, (_, i) => `include:s${i}.${D}`).join(' ')} -all`),
    ];
    for (let i = 0; i < 40; i++)
      wide.push(
        rr.txt(
          `s${i}.${D}`,
          `v=spf1 ${Array.from({ length: 40 }, (_, j) => `include:t${j}.s${i}.${D}`).join(' ')} -all`,
        ),
      );
    const started = Date.now();
    const r = await discover(wide);
    expect(r.processors).toEqual([]);
    expect(r.resolver.log.length).toBeLessThan(SPF_MAX_TREE_NODES * 4 + 100);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('survives DNS failures without throwing', async () => {
    const { ctx } = zoneContext(D, RECORDS.slice(1));
    const failing = { ...ctx, resolver: { query: () => Promise.reject(new Error('network down')) } };
    const r = await discoverProcessors(failing, new ProcessorRegister(defaultCatalog(), {}));
    expect(r).toEqual({ processors: [], dmarcRecord: false });
  });
});

describe('processors.* findings', () => {
  it('without a register: warns with a register to start from', async () => {
    const { findings } = await discover(RECORDS);
    const f = only(findings, 'processors.undeclared');
    expect(f.status).toBe('warn');
    expect(f.remediation).toContain('- { provider: microsoft-365, dpa: YYYY-MM-DD, transfer: dpf }');
    expect(f.remediation).toContain('- { provider: mailjet, dpa: YYYY-MM-DD }');
    expect(only(findings, 'processors.transfer')).toMatchObject({
      status: 'fail',
      severity: 'high',
      controls: ['processors.transfers'],
    });
    expect(only(findings, 'processors.ruf')).toMatchObject({
      status: 'fail',
      controls: ['minimisation.forensic-reports'],
    });
    expect(only(findings, 'processors.transfer-reports').status).toBe('warn');
    expect(only(findings, 'processors.unidentified').detail).toContain('unknownsender.net');
    expect(findings.some((f) => f.id === 'processors.unseen')).toBe(false);
  });

  it('with a register: undeclared fails, stale entries warn, missing DPAs warn', async () => {
    const config: Config = {
      processors: [
        { provider: 'microsoft-365', dpa: '2024-01-01', transfer: 'dpf' },
        { provider: 'sendgrid', transfer: 'dpf' },
        { provider: 'mailchimp', dpa: '2023-01-01', transfer: 'dpf' },
        { provider: 'proton-mail', inDns: false },
        { provider: 'brevo', scope: ['other.example'] },
      ],
    };
    const { findings, processors } = await discover(RECORDS, config);
    expect(byKey(processors, 'sendgrid')?.declared).toEqual({ entry: 1, transfer: 'dpf' });
    const undeclared = only(findings, 'processors.undeclared');
    expect(undeclared.status).toBe('fail');
    expect(undeclared.detail).toContain('dmarcian');
    expect(undeclared.detail).not.toContain('Microsoft');
    // mailchimp is declared but absent; proton (inDns: false) and brevo (other scope) are not flagged.
    expect(only(findings, 'processors.unseen').evidence).toEqual({
      unseen: [{ entry: 2, name: 'mailchimp' }],
    });
    expect(only(findings, 'processors.dpa').detail).toContain('Twilio SendGrid');
  });

  it('passes when every processor is declared with a sound transfer basis', async () => {
    const records = RECORDS.filter(
      (r) => !r.name.startsWith('_dmarc') && !(r.type === 'TXT' && r.name === D),
    ).concat([
      rr.txt(D, 'v=spf1 include:spf.protection.outlook.com include:spf.mailjet.com -all'),
      rr.txt(`_dmarc.${D}`, 'v=DMARC1; p=reject; rua=mailto:a@ag.dmarcian.eu'),
    ]);
    const config: Config = {
      processors: [
        { provider: 'microsoft-365', dpa: '2024-01-01', transfer: 'dpf' },
        { provider: 'mailjet', dpa: '2024-01-01' },
        { provider: 'dmarcian-eu', dpa: '2024-01-01' },
        { provider: 'uriports', dpa: '2024-01-01' },
        { provider: 'mailhardener', dpa: '2024-01-01' },
        { provider: 'sendgrid', dpa: '2024-01-01', transfer: 'scc', tia: 'done' },
      ],
    };
    const { findings } = await discover(records, config);
    expect(only(findings, 'processors.undeclared').status).toBe('pass');
    expect(only(findings, 'processors.transfer').status).toBe('pass');
    expect(only(findings, 'processors.ruf').status).toBe('pass');
    expect(findings.filter((f) => f.status !== 'pass').map((f) => f.id)).toEqual([]);
  });

  it('a processor declared outside the catalogue identifies its domains', async () => {
    const config: Config = {
      processors: [
        {
          name: 'Unknown Sender Ltd',
          domains: ['unknownsender.net'],
          country: 'GB',
          transfer: 'adequacy',
          dpa: '2024-01-01',
        },
      ],
    };
    const { processors, findings } = await discover(RECORDS, config);
    expect(byKey(processors, 'declared:0')).toMatchObject({
      name: 'Unknown Sender Ltd',
      region: 'adequacy',
      identified: true,
    });
    expect(findings.some((f) => f.id === 'processors.unidentified')).toBe(false);
  });

  it('a domain without third parties passes', async () => {
    const own = [
      rr.mx(D, 10, `mx.${D}`),
      rr.a(`mx.${D}`, '192.0.2.1'),
      rr.txt(D, 'v=spf1 mx -all'),
      rr.txt(`_dmarc.${D}`, `v=DMARC1; p=reject; rua=mailto:d@${D}; ruf=mailto:f@${D}`),
    ];
    const { findings, processors } = await discover(own);
    expect(processors).toEqual([]);
    expect(only(findings, 'processors.undeclared').status).toBe('pass');
    expect(only(findings, 'processors.ruf').status).toBe('pass');
    expect(only(findings, 'processors.transfer').status).toBe('info');
  });
});

describe('transferProblem', () => {
  const us = (over: Partial<DiscoveredProcessor>): DiscoveredProcessor => ({
    key: 'x',
    identified: true,
    name: 'X',
    legalName: 'X Inc.',
    country: 'US',
    region: 'third-country',
    dpf: { status: 'certified', asOf: '2026-01-01', source: 'https://www.dataprivacyframework.gov/list' },
    roles: ['outbound-sender'],
    evidence: [],
    ...over,
  });
  it.each<[string, Partial<DiscoveredProcessor>, boolean | undefined]>([
    ['nothing recorded', {}, true],
    ['"none"', { declared: { entry: 0, transfer: 'none' } }, true],
    ['adequacy claimed for the US', { declared: { entry: 0, transfer: 'adequacy' } }, true],
    ['dpf for a certified company', { declared: { entry: 0, transfer: 'dpf' } }, undefined],
    [
      'dpf when the catalogue cannot confirm',
      {
        declared: { entry: 0, transfer: 'dpf' },
        dpf: { status: 'unknown', asOf: '2026-01-01', source: 'https://x.example' },
      },
      false,
    ],
    [
      'dpf for a non-certified company',
      {
        declared: { entry: 0, transfer: 'dpf' },
        dpf: { status: 'not-certified', asOf: '2026-01-01', source: 'https://x.example' },
      },
      true,
    ],
    ['SCCs without a TIA', { declared: { entry: 0, transfer: 'scc' } }, false],
    ['SCCs with a TIA', { declared: { entry: 0, transfer: 'scc', tia: 'done' } }, undefined],
    ['a derogation', { declared: { entry: 0, transfer: 'derogation' } }, undefined],
  ])('%s', (_what, over, severe) => {
    expect(transferProblem(us(over))?.severe).toBe(severe);
  });
});

describe('register scope', () => {
  it('applies unscoped entries to the organisation\u2019s zones only, when they are listed', async () => {
    const config: Config = {
      organisation: { domains: ['other.example'] },
      processors: [
        { provider: 'sendgrid', dpa: '2024-01-01', transfer: 'dpf' },
        { provider: 'mailjet', scope: [D] },
      ],
    };
    const { processors, findings } = await discover(RECORDS, config);
    // org.example is not one of the organisation's zones: only the entry scoped to it applies.
    expect(byKey(processors, 'sendgrid')?.declared).toBeUndefined();
    expect(byKey(processors, 'mailjet')?.declared).toEqual({ entry: 1 });
    expect(findings.some((f) => f.id === 'processors.unseen')).toBe(false);
  });
});
