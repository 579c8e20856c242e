import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerDate, logSpan, maildirDeliveryTime } from './age.js';

describe('message ages', () => {
  it('reads Date: from the header block only, unfolded, with a trailing comment', () => {
    expect(
      headerDate(
        'Subject: x\r\nDate: Mon, 01 Jan 2024\r\n 10:00:00 +0000 (UTC)\r\n\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000\r\n',
      ),
    ).toBe(Date.UTC(2024, 0, 1, 10));
    expect(headerDate('Subject: x\n\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n')).toBeUndefined();
    expect(headerDate('Date: not a date\n\n')).toBeUndefined();
  });

  it('takes delivery time from Maildir names only when it leads the name', () => {
    expect(maildirDeliveryTime('1704103200.M1P1.mx:2,S')).toBe(1704103200000);
    expect(maildirDeliveryTime('msg-1704103200.eml')).toBeUndefined();
  });

  it('never throws and returns a finite time or nothing on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.string({ maxLength: 40 }), (head, name) => {
        const d = headerDate(head);
        const m = maildirDeliveryTime(name);
        expect(d === undefined || Number.isFinite(d)).toBe(true);
        expect(m === undefined || Number.isFinite(m)).toBe(true);
      }),
    );
  });
});

describe('log spans', () => {
  it('times every line of a mixed-format file and counts untimed ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-span-'));
    try {
      const f = join(dir, 'mixed.log');
      const syslog = (d: string): string => `${d} mx postfix/smtpd[1]: connect from x[192.0.2.1]\n`;
      await writeFile(
        f,
        syslog('Mar  2 10:00:00') +
          syslog('Mar  3 10:00:00') +
          '2026-01-05 08:00:00 1rXyZa-000Abc-12 <= a@example.org H=x [192.0.2.1] S=100\n' +
          'garbage without a time\n',
      );
      const span = await logSpan(f, Date.parse('2026-06-01T00:00:00'));
      expect(span.lines).toBe(4);
      expect(span.timed).toBe(3);
      expect(new Date(span.oldest!).getMonth()).toBe(0);
      expect(new Date(span.newest!).getDate()).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
