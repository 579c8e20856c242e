import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDeliveryStatus, stripType } from './dsn.js';

describe('parseDeliveryStatus', () => {
  it('reads per-message and per-recipient groups (RFC 3464)', () => {
    const r = parseDeliveryStatus(
      'Reporting-MTA: dns; mx.example.org\r\nArrival-Date: Mon, 3 Mar 2025 10:00:00 +0000\r\n\r\n' +
        'Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n' +
        'Remote-MTA: dns; mx2.example.org\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown\r\n\r\n' +
        'Final-Recipient: rfc822; b@example.org\r\nOriginal-Recipient: rfc822; c@example.org\r\nAction: delayed\r\n',
    );
    expect(r.reportingMta).toBe('mx.example.org');
    expect(r.recipients).toHaveLength(2);
    expect(r.recipients[0]).toMatchObject({
      finalRecipient: 'a@example.org',
      action: 'failed',
      status: '5.1.1',
      remoteMta: 'mx2.example.org',
      diagnosticCode: '550 5.1.1 unknown',
    });
    expect(r.recipients[1]?.originalRecipient).toBe('c@example.org');
  });

  it('reports an empty report', () => {
    expect(parseDeliveryStatus('\n\n').problems.join()).toMatch(/empty/);
  });

  it('recovers every generated recipient group (property)', () => {
    const local = fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/);
    const status = fc.tuple(fc.constantFrom(2, 4, 5), fc.nat(9), fc.nat(9)).map((t) => t.join('.'));
    fc.assert(
      fc.property(fc.array(fc.tuple(local, status), { minLength: 1, maxLength: 20 }), (rcpts) => {
        const body =
          'Reporting-MTA: dns; mx.example.org\n\n' +
          rcpts
            .map(([l, s]) => `Final-Recipient: rfc822;${l}@example.org\nAction: failed\nStatus: ${s}\n`)
            .join('\n');
        const r = parseDeliveryStatus(body);
        expect(r.recipients.map((x) => [x.finalRecipient, x.status])).toEqual(
          rcpts.map(([l, s]) => [`${l}@example.org`, s]),
        );
      }),
    );
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (s) => void parseDeliveryStatus(s)),
    );
  });

  it('strips the address type', () => {
    expect(stripType('rfc822; x@example.org')).toBe('x@example.org');
    expect(stripType('no type here')).toBe('no type here');
  });
});
