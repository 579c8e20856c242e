import { describe, expect, it } from 'vitest';
import type { DomainReport } from '../domain/scan.js';
import { renderProcessorsHtml, renderProcessorsText } from '../report/processors-doc.js';
import { buildProcessorsDoc, cell, registerCsv } from './report.js';
import type { DiscoveredProcessor } from './types.js';

const hostile: DiscoveredProcessor = {
  key: 'declared:0',
  identified: true,
  name: '=HYPERLINK("http://x.example")',
  legalName: '<script>alert(1)</script>, "Ltd"',
  country: 'DE',
  region: 'eea',
  roles: ['outbound-sender'],
  evidence: [{ role: 'outbound-sender', source: 'spf', name: 'spf.crm.example' }],
  declared: { entry: 0, dpa: '2024-01-01' },
};
const sendgrid: DiscoveredProcessor = {
  key: 'sendgrid',
  identified: true,
  provider: 'sendgrid',
  name: 'Twilio SendGrid',
  legalName: 'Twilio Inc.',
  country: 'US',
  region: 'third-country',
  roles: ['dkim-signer'],
  evidence: [{ role: 'dkim-signer', source: 'dkim', name: 's1.sendgrid.net' }],
};

function report(domain: string, processors: DiscoveredProcessor[]): DomainReport {
  return { domain, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1, findings: [], processors };
}

const doc = buildProcessorsDoc(
  [
    report('a.example', [hostile, sendgrid]),
    report('b.example', [
      {
        ...sendgrid,
        roles: ['outbound-sender'],
        evidence: [{ role: 'outbound-sender', source: 'spf', name: 'sendgrid.net' }],
      },
    ]),
  ],
  { generatedAt: new Date('2026-01-01T00:00:00Z'), config: {} },
);

describe('the processor register document', () => {
  it('merges a processor seen in several domains into one row', () => {
    const row = doc.register.find((r) => r.key === 'sendgrid');
    expect(row).toMatchObject({
      domains: ['a.example', 'b.example'],
      roles: ['outbound-sender', 'dkim-signer'],
      seen: ['s1.sendgrid.net', 'sendgrid.net'],
    });
  });

  it('writes CSV cells that a spreadsheet shows as text', () => {
    expect(cell('=1+1')).toBe("'=1+1");
    expect(cell('-2')).toBe("'-2");
    expect(cell('a,b')).toBe('"a,b"');
    expect(cell('say "hi"')).toBe('"say ""hi"""');
    const csv = registerCsv(doc);
    expect(csv).toContain(`"'=HYPERLINK(""http://x.example"")"`);
    expect(csv.split('\r\n')).toHaveLength(doc.register.length + 2);
  });

  it('escapes names in HTML and keeps them readable in text', () => {
    const html = renderProcessorsHtml(doc);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(renderProcessorsText(doc, { color: false })).toContain(
      'DPA 2024-01-01, transfer none needed (EEA)',
    );
  });
});
