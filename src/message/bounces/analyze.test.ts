import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { analyzeMessage, type BounceOptions } from './analyze.js';

const FIX = join(import.meta.dirname, '../../../test/fixtures/bounces/messages');
const opts: BounceOptions = { internalZones: [], showPersonal: false };

function run(name: string, o: Partial<BounceOptions> = {}) {
  return analyzeMessage(name, readFileSync(join(FIX, name)), { ...opts, ...o });
}
function byId(findings: Finding[], id: string): Finding {
  const f = findings.find((x) => x.id === id);
  if (!f) throw new Error(`no ${id} in ${findings.map((x) => x.id).join(', ')}`);
  return f;
}

describe('DSN disclosures', () => {
  const r = run('dsn-leaky.eml', { internalZones: ['corp.example.org'] });

  it('classifies an RFC 3464 report', () => {
    expect(r.kind).toBe('dsn');
  });

  it('finds internal names and addresses in report fields, text and returned Received', () => {
    const f = byId(r.findings, 'bounces.internal-host');
    expect(f.status).toBe('warn');
    expect(f.severity).toBe('medium');
    const matches = (f.evidence as { matches: { where: string; value: string }[] }).matches;
    expect(matches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ where: 'Reporting-MTA', value: 'relay1.corp.example.org' }),
        expect.objectContaining({ where: 'Remote-MTA', value: 'mbox3.corp.example.org' }),
        expect.objectContaining({ where: 'notification text', value: '192.168.10.23' }),
        expect.objectContaining({ where: 'returned Received #1', value: 'pc-alice.lan' }),
      ]),
    );
    expect(f.controls).toContain('minimisation.bounces');
    expect(f.remediation).toMatch(/myhostname/);
  });

  it('without the internal zone, names under a public domain are not flagged', () => {
    const plain = run('dsn-leaky.eml');
    const values = (
      byId(plain.findings, 'bounces.internal-host').evidence as { matches: { value: string }[] }
    ).matches.map((m) => m.value);
    expect(values).not.toContain('relay1.corp.example.org');
    expect(values).toContain('192.168.1.20');
  });

  it('flags the software version, the returned body and the alias expansion', () => {
    const sw = byId(r.findings, 'bounces.mta-software');
    expect(sw.status).toBe('warn');
    expect(sw.controls[0]).toBe('minimisation.smtp-disclosure');
    expect(sw.detail).toContain('Postfix 3.7.11');
    const full = byId(r.findings, 'bounces.full-original');
    expect(full.status).toBe('fail');
    expect(full.remediation).toMatch(/bounce_size_limit/);
    const other = byId(r.findings, 'bounces.other-recipients');
    expect(other.status).toBe('warn');
    expect(other.evidence).toEqual({
      addresses: ['***@example.org'],
      expansions: [{ original: '***@example.org', final: '***@example.org' }],
    });
  });

  it('keeps full addresses out of evidence unless asked', () => {
    expect(JSON.stringify(r)).not.toMatch(/jane\.doe@|alice@example\.net|sales@/);
    const shown = run('dsn-leaky.eml', { showPersonal: true });
    expect(JSON.stringify(shown.findings)).toContain('jane.doe@example.org');
  });

  it('passes a header-only DSN from a public host', () => {
    const clean = run('dsn-clean.eml');
    expect(clean.kind).toBe('dsn');
    expect(clean.findings.map((f) => [f.id, f.status]).sort()).toEqual([
      ['bounces.full-original', 'pass'],
      ['bounces.internal-host', 'pass'],
      ['bounces.mta-software', 'pass'],
      ['bounces.other-recipients', 'pass'],
    ]);
  });
});

describe('non-standard bounces', () => {
  it('finds the inline copy of the original and the HELO name', () => {
    const r = run('bounce-qmail-inline.eml');
    expect(r.kind).toBe('bounce');
    expect(byId(r.findings, 'bounces.full-original').status).toBe('fail');
    const hosts = byId(r.findings, 'bounces.internal-host').evidence as { matches: { value: string }[] };
    expect(hosts.matches.map((m) => m.value)).toEqual(['mx-in']);
    expect(byId(r.findings, 'bounces.mta-software').status).toBe('info');
  });
});

describe('automatic replies', () => {
  it('warns about health data and a private number, redacted', () => {
    const r = run('autoreply-sick-de.eml');
    expect(r.kind).toBe('autoreply');
    const p = byId(r.findings, 'autoreply.personal-circumstances');
    expect(p.status).toBe('warn');
    expect(p.severity).toBe('high');
    expect(p.detail).toContain('krankgeschrieben');
    const phone = byId(r.findings, 'autoreply.private-phone');
    expect(JSON.stringify(phone.evidence)).not.toContain('1234567');
    expect(JSON.stringify(phone.evidence)).toContain('67');
    expect((phone.evidence as { audience: string }).audience).toBe('external');
  });

  it('passes a neutral out-of-office reply', () => {
    const r = run('autoreply-neutral.eml');
    expect(r.kind).toBe('autoreply');
    expect(r.findings.map((f) => [f.id, f.status])).toEqual([['autoreply.personal-circumstances', 'pass']]);
  });

  it('recognises replies by header and by subject in several languages', () => {
    const reply = (head: string) =>
      analyzeMessage(
        'x',
        Buffer.from(`From: a@example.org\nTo: b@example.net\n${head}\n\nIch bin im Urlaub.\n`),
        opts,
      ).kind;
    expect(reply('Subject: hi\nX-Autorespond: yes')).toBe('autoreply');
    expect(reply('Subject: hi\nPrecedence: auto_reply')).toBe('autoreply');
    expect(reply('Subject: Risposta automatica: ciao')).toBe('autoreply');
    expect(reply('Subject: Automatisch antwoord')).toBe('autoreply');
    expect(reply('Subject: Poza biurem')).toBe('autoreply');
    expect(reply('Subject: Lunch on Friday?')).toBe('other');
    expect(reply('Subject: hi\nAuto-Submitted: no')).toBe('other');
  });

  it('names family matters with medium severity', () => {
    const r = analyzeMessage(
      'x',
      Buffer.from(
        'From: a@example.org\nTo: b@example.net\nSubject: Out of office\n\nI am on parental leave until May.\n',
      ),
      opts,
    );
    const p = byId(r.findings, 'autoreply.personal-circumstances');
    expect([p.status, p.severity]).toEqual(['warn', 'medium']);
  });
});

describe('bad input', () => {
  const bounceHead = 'From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail Returned to Sender\n';
  const cases: [string, string][] = [
    ['header only', bounceHead.trimEnd()],
    [
      'truncated multipart',
      `${bounceHead}Content-Type: multipart/report; boundary="b"\n\n--b\nContent-Type: text/pl`,
    ],
    ['1 MB header line', `${bounceHead}X-Junk: ${'x'.repeat(1024 * 1024)}\n\nbody\n`],
    ['NUL bytes', `${bounceHead}\nThis is the mail system\0\0 could not be delivered\n`],
    ['broken boundary', `${bounceHead}Content-Type: multipart/report; boundary="b"\n\n--c\nx\n--c--\n`],
    [
      'invalid encodings',
      `${bounceHead}Subject: =?x-unknown?b?!!!?=\nContent-Type: text/plain; charset=x-bogus\nContent-Transfer-Encoding: base64\n\n@@@\n`,
    ],
  ];
  for (const [name, raw] of cases) {
    it(`reports ${name} as a per-message error, not a crash`, () => {
      const r = analyzeMessage(name, Buffer.from(raw, 'latin1'), opts);
      const input = r.findings.find((f) => f.id === 'bounces.input');
      if (name === 'invalid encodings') {
        expect(r.kind).toBe('bounce');
        return;
      }
      expect(input?.status).toBe('error');
      expect(input?.detail).not.toMatch(/@/);
    });
  }

  it('survives message/rfc822 nested 100 levels deep', () => {
    let msg = 'Subject: inner\n\nbody\n';
    for (let i = 0; i < 100; i++) msg = `Content-Type: message/rfc822\n\n${msg}`;
    const r = analyzeMessage('deep', Buffer.from(`${bounceHead}${msg}`), opts);
    expect(r.findings.find((f) => f.id === 'bounces.input')?.detail).toMatch(/nesting deeper/);
  });

  it('reports empty input and text that is not a message', () => {
    expect(analyzeMessage('e', Buffer.alloc(0), opts).kind).toBe('unreadable');
    expect(analyzeMessage('t', Buffer.from('just some words\nand more\n'), opts).kind).toBe('unreadable');
  });
});

describe('automatic replies quoting the original', () => {
  it('warns when the reply carries the original message back', () => {
    const raw =
      'From: a@example.org\nTo: b@example.net\nSubject: Automatic reply: Offer\nAuto-Submitted: auto-replied\n\n' +
      'I am away until Monday.\n\n-----Original Message-----\nFrom: b@example.net\nTo: a@example.org\nSubject: Offer\n\n' +
      'Our confidential offer is attached.\n';
    const r = analyzeMessage('q', Buffer.from(raw), opts);
    const f = byId(r.findings, 'autoreply.original-returned');
    expect([f.status, f.severity]).toEqual(['warn', 'low']);
    expect(byId(r.findings, 'autoreply.personal-circumstances').status).toBe('pass');
  });
});
