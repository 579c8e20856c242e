import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../core/config.js';
import { CATALOG_URL, defaultCatalog, isWithin, parseCatalog, ProviderCatalog } from './catalog.js';
import { registerCheck } from './index.js';
import { regionOf } from './regions.js';

const TEXT = readFileSync(CATALOG_URL, 'utf8');

/** The shipped catalogue with one entry changed by `edit`, as YAML text. */
function mutated(edit: (entry: Record<string, unknown>) => void, index = 0): string {
  const doc = parse(TEXT) as { providers: Record<string, unknown>[] };
  edit(doc.providers[index] as Record<string, unknown>);
  return stringify(doc);
}

describe('the shipped processor catalogue', () => {
  const catalog = defaultCatalog();

  it('validates and holds at least 40 providers, each with its checked date and DPF fact', () => {
    expect(catalog.providers.length).toBeGreaterThanOrEqual(40);
    for (const p of catalog.providers) {
      expect(p.checked, p.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.dpf.asOf, p.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.dpf.source, p.id).toMatch(/^https:\/\//);
    }
  });

  it('agrees with the country tables on every region', () => {
    for (const p of catalog.providers) {
      if (p.country !== 'unknown') expect(p.region, p.id).toBe(regionOf(p.country));
    }
  });

  // The match rules named in the issue: each must identify its provider.
  it.each([
    ['_spf.google.com', 'spf', 'google-workspace'],
    ['spf.protection.outlook.com', 'spf', 'microsoft-365'],
    ['sendgrid.net', 'spf', 'sendgrid'],
    ['amazonses.com', 'spf', 'amazon-ses'],
    ['mailgun.org', 'spf', 'mailgun'],
    ['servers.mcsv.net', 'spf', 'mailchimp'],
    ['spf.mandrillapp.com', 'spf', 'mailchimp-transactional'],
    ['spf.mtasv.net', 'spf', 'postmark'],
    ['spf.sendinblue.com', 'spf', 'brevo'],
    ['spf.mailjet.com', 'spf', 'mailjet'],
    ['zoho.eu', 'spf', 'zoho-mail-eu'],
    ['zoho.com', 'spf', 'zoho-mail'],
    ['_spf.protonmail.ch', 'spf', 'proton-mail'],
    ['spf.messagingengine.com', 'spf', 'fastmail'],
    ['mx.ovh.com', 'spf', 'ovhcloud'],
    ['_spf.salesforce.com', 'spf', 'salesforce'],
    ['mail.zendesk.com', 'spf', 'zendesk'],
    ['sparkpostmail.com', 'spf', 'sparkpost'],
    ['eu._netblocks.mimecast.com', 'spf', 'mimecast'],
    ['mx0a-001.pphosted.com', 'mx', 'proofpoint'],
    ['mx00.ionos.de', 'mx', 'ionos'],
    ['mx.your-server.de', 'mx', 'hetzner'],
    ['aspmx.l.google.com', 'mx', 'google-workspace'],
    ['contoso-com.mail.protection.outlook.com', 'mx', 'microsoft-365'],
    ['selector1-contoso-com._domainkey.contoso.onmicrosoft.com', 'dkim', 'microsoft-365'],
    ['abc.dkim.amazonses.com', 'dkim', 'amazon-ses'],
    ['ag.dmarcian.com', 'reports', 'dmarcian'],
    ['ag.dmarcian.eu', 'reports', 'dmarcian-eu'],
    ['vali.email', 'reports', 'valimail'],
    ['rua.easydmarc.us', 'reports', 'easydmarc'],
    ['dmarc.postmarkapp.com', 'reports', 'postmark'],
    ['x.uriports.com', 'reports', 'uriports'],
    ['abc.report-uri.com', 'reports', 'report-uri'],
  ] as const)('%s (%s) is %s', (name, kind, id) => {
    expect(catalog.match(name, kind)?.provider.id).toBe(id);
  });

  it('matches whole labels only, case- and trailing-dot-insensitively', () => {
    expect(catalog.match('notsendgrid.net', 'spf')).toBeUndefined();
    expect(catalog.match('sendgrid.net.evil.example', 'spf')).toBeUndefined();
    expect(catalog.match('SendGrid.NET.', 'spf')?.provider.id).toBe('sendgrid');
  });

  it('prefers the longest rule and falls back to rules of other kinds', () => {
    const c = new ProviderCatalog([
      { ...catalog.providers[0]!, id: 'broad', match: { spf: ['example.net'] } },
      { ...catalog.providers[0]!, id: 'narrow', match: { spf: ['mail.example.net'] } },
      { ...catalog.providers[0]!, id: 'reports-only', match: { reports: ['reports.example.org'] } },
    ]);
    expect(c.match('a.mail.example.net', 'spf')?.provider.id).toBe('narrow');
    expect(c.match('other.example.net', 'spf')?.provider.id).toBe('broad');
    expect(c.match('x.reports.example.org', 'mx')).toMatchObject({
      kind: 'reports',
      rule: 'reports.example.org',
    });
  });
});

describe('catalogue validation stops bad entries', () => {
  it('accepts the shipped text', () => {
    expect(parseCatalog(TEXT).providers.length).toBeGreaterThan(0);
  });
  it.each<[string, (e: Record<string, unknown>) => void, RegExp]>([
    ['a missing legal name', (e) => delete e.legalName, /providers\.0\.legalName/],
    ['a missing checked date', (e) => delete e.checked, /providers\.0\.checked/],
    ['a malformed date', (e) => (e.checked = '27/11/2026'), /checked: expected a date/],
    ['an unknown field', (e) => (e.hq = 'US'), /Unrecognized key/],
    ['no match rule', (e) => (e.match = {}), /at least one match rule/],
    ['an upper-case match rule', (e) => (e.match = { spf: ['_SPF.Google.com'] }), /lower-case DNS name/],
    ['a region contradicting the country', (e) => (e.region = 'eea'), /region eea but US is third-country/],
    [
      'DPF for a non-U.S. company',
      (e) => ((e.country = 'DE'), (e.region = 'eea')),
      /only U.S. organisations/,
    ],
    [
      'a bad DPF source',
      (e) => (e.dpf = { status: 'certified', asOf: '2026-01-01', source: 'the web' }),
      /dpf\.source/,
    ],
  ])('rejects %s', (_what, edit, message) => {
    expect(() => parseCatalog(mutated(edit))).toThrow(message);
  });
  it('rejects duplicate ids', () => {
    const doc = parse(TEXT) as { providers: unknown[] };
    doc.providers.push(doc.providers[0]);
    expect(() => parseCatalog(stringify(doc))).toThrow(/duplicate id/);
  });
});

describe('isWithin', () => {
  const label = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  it('holds for the name itself and every subdomain, never for a mere string suffix', () => {
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), label, label, (base, sub, glued) => {
        const suffix = base.join('.');
        expect(isWithin(suffix, suffix)).toBe(true);
        expect(isWithin(`${sub}.${suffix}`, suffix)).toBe(true);
        expect(isWithin(`${glued}${suffix}`, suffix)).toBe(false);
      }),
    );
  });
});

describe('registerCheck', () => {
  it('stops a register naming a provider the catalogue does not know, at its line', () => {
    const text = 'processors:\n  - provider: microsoft-365\n  - provider: microsoft-356\n';
    expect(() => parseConfig(text, 'm.yaml', [registerCheck()])).toThrow(
      /^m\.yaml:3: processors\[1\]\.provider: "microsoft-356" is not in the processor catalogue/,
    );
    expect(parseConfig(text.replace('356', '365'), 'm.yaml', [registerCheck()]).processors).toHaveLength(2);
  });
});
