import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCircumstances } from './personal.js';
import { excerpt, extractAddresses, redact, redactText } from './redact.js';
import { findSoftware } from './software.js';

const local = fc.stringMatching(/^[a-z][a-z0-9._+-]{2,15}[a-z0-9]$/);
const domain = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z]\.(org|net|com|de)$/);
const filler = fc.stringMatching(/^[ ,;:<>()"\n]{0,10}$/);

describe('redaction', () => {
  it('never leaves a local part next to its domain (property)', () => {
    fc.assert(
      fc.property(local, domain, filler, filler, (l, d, a, b) => {
        const out = redact(`${a}${l}@${d}${b}`, { showPersonal: false });
        expect(out).not.toContain(`${l}@`);
        expect(out).toContain(`***@${d}`);
        expect(extractAddresses(`${a}${l}@${d}${b}`)).toEqual([`${l}@${d}`.toLowerCase()]);
      }),
    );
  });

  it('keeps everything when personal data may be shown', () => {
    expect(redactText('mail jo@example.org or +49 170 1234567', { showPersonal: true })).toBe(
      'mail jo@example.org or +49 170 1234567',
    );
  });

  it('masks phone numbers but not dates, IPs or versions', () => {
    const o = { showPersonal: false };
    expect(redactText('Handy +49 170 1234567', o)).toBe('Handy +xx xxx xxxxx67');
    expect(redactText('call 0171/9876543', o)).toBe('call xxxx/xxxxx43');
    expect(redactText('back on 20.03.2025 from 10.1.2.3 (Postfix 3.7.11)', o)).toBe(
      'back on 20.03.2025 from 10.1.2.3 (Postfix 3.7.11)',
    );
  });

  it('cuts excerpts to one line with ellipses', () => {
    const text = `${'a'.repeat(100)}\nNEEDLE\n${'b'.repeat(100)}`;
    const e = excerpt(text, 101, 107, { showPersonal: false });
    expect(e.startsWith('…')).toBe(true);
    expect(e.endsWith('…')).toBe(true);
    expect(e).toContain(' NEEDLE ');
  });
});

describe('software names', () => {
  it('finds products and versions', () => {
    const got = findSoftware(
      'by mx (8.12.11/8.12.11) with ESMTP; Exim 4.92; Microsoft SMTPSVC(6.0.3790.4675); (Postfix)',
    );
    expect(got.map((m) => [m.product, m.version])).toEqual([
      ['Sendmail', '8.12.11/8.12.11'],
      ['Exim', '4.92'],
      ['Microsoft SMTPSVC', '6.0.3790.4675'],
      ['Postfix', undefined],
    ]);
  });
});

describe('personal circumstances', () => {
  it('finds reasons in several languages and ignores neutral text', () => {
    const kinds = (t: string) => findCircumstances(t).map((m) => m.kind);
    expect(kinds('Je suis en arrêt maladie.')).toEqual(['health']);
    expect(kinds('Estoy de baja por maternidad.')).toEqual(['family']);
    expect(kinds('Sono in congedo di maternità.')).toEqual(['family']);
    expect(kinds('Ik ben met zwangerschapsverlof.')).toEqual(['family']);
    expect(kinds('Jestem na zwolnienie lekarskie.')).toEqual(['health']);
    expect(kinds('Off for my wedding, mobile: 0170 1234567')).toEqual(['private-life', 'private-phone']);
    expect(kinds("I'll be out of the office until Monday; I will reply then. Bill")).toEqual([]);
  });
});
