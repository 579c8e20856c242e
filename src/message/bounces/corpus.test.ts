import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { analyzeMessage, type MessageReport } from './analyze.js';
import { dissect } from './classify.js';
import { parseMessage } from './mime.js';

// Real bounces from flufl.bounce (LGPL-3.0): read in place, never copied into the project.
const DIR = join(import.meta.dirname, '../../../../shared/corpora/bounces-flufl/flufl/bounce/tests/data');
const present = existsSync(DIR);
const files = present
  ? readdirSync(DIR)
      .filter((f) => f.endsWith('.txt'))
      .sort()
  : [];
const opts = { internalZones: [], showPersonal: false };

function analyse(name: string): MessageReport {
  return analyzeMessage(name, readFileSync(join(DIR, name)), opts);
}
function find(r: MessageReport, id: string): Finding | undefined {
  return r.findings.find((f) => f.id === id);
}

describe.skipIf(!present)('flufl.bounce corpus', () => {
  it('holds the expected files', () => {
    expect(files.length).toBe(103);
  });

  it('parses every DSN there: report fields and recipients', () => {
    const dsns = files.filter((f) => f.startsWith('dsn_'));
    expect(dsns.length).toBe(17);
    for (const f of dsns) {
      const d = dissect(parseMessage(readFileSync(join(DIR, f)).toString('latin1')).root);
      if (f === 'dsn_15.txt') continue; // a DSN forwarded inside another message: a bounce, checked below
      expect(d.kind, f).toBe('dsn');
      expect(d.dsn?.reportingMta, f).toBeTruthy();
      expect(d.dsn?.recipients.length, f).toBeGreaterThan(0);
      expect(
        d.dsn?.recipients.every((r) => r.action || r.status),
        f,
      ).toBe(true);
    }
    expect(analyse('dsn_15.txt').kind).toBe('bounce');
  });

  it('classifies every file as a bounce, never crashing', () => {
    const kinds = files.map((f) => [f, analyse(f).kind]);
    expect(kinds.filter(([, k]) => k !== 'dsn' && k !== 'bounce')).toEqual([]);
  });

  it('finds the known disclosures', () => {
    // TeamWARE names a .local host and its own product in Reporting-MTA.
    const tw = analyse('dsn_12.txt');
    expect(JSON.stringify(find(tw, 'bounces.internal-host')?.evidence)).toContain('SV-03.jtc-con.local');
    expect(find(tw, 'bounces.mta-software')?.detail).toContain('TeamWARE');
    // Postfix returns the whole original as message/rfc822.
    const pf = analyse('postfix_01.txt');
    expect(find(pf, 'bounces.full-original')?.status).toBe('fail');
    expect(find(pf, 'bounces.mta-software')?.detail).toContain('Postfix');
    // A header-only return (text/rfc822-headers) passes.
    expect(find(analyse('dsn_06.txt'), 'bounces.full-original')?.status).toBe('pass');
    // qmail copies the original inline after its marker line.
    expect(find(analyse('qmail_01.txt'), 'bounces.full-original')?.evidence).toMatchObject({
      where: 'inline text',
    });
    // Sendmail's "(8.9.1a/8.9.1)" in a returned Received line is a version.
    expect(find(analyse('postfix_01.txt'), 'bounces.mta-software')?.detail).toContain(
      'Sendmail 8.9.1a/8.9.1',
    );
    // Loopback content-filter hops come back in returned Received lines.
    const lo = find(analyse('postfix_01.txt'), 'bounces.internal-host');
    expect(JSON.stringify(lo?.evidence)).toContain('127.0.0.1');
  });

  it('never puts a full address into evidence', () => {
    for (const f of files) {
      const text = JSON.stringify(analyse(f).findings.map((x) => x.evidence));
      expect(text, f).not.toMatch(/[A-Za-z0-9._%+-]+(?<!\*\*\*)@[a-z0-9-]+\.[a-z]/i);
    }
  });
});
