import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHeaderPolicy } from '../../src/message/policy.js';
import { postfixHeaderChecks } from '../../src/message/postfix-header-checks.js';

// The generated table is read by Postfix's own regexp table code (postmap -q), folded headers included.
describe('postfix header-checks table under real Postfix (postmap)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailcomply-hc-'));
  writeFileSync(join(dir, 'main.cf'), 'compatibility_level = 3.6\n');
  const policy = parseHeaderPolicy(
    'version: 1\nheaders:\n  User-Agent: remove\n  X-Note: redact\n  X-MS-Exchange-Organization-*: remove\n  X-MS-Exchange-Organization-SCL: keep\ninternalZones: [corp.example.com]\n',
    'p',
  );
  const table = join(dir, 'header_checks');
  writeFileSync(table, postfixHeaderChecks(policy).table);
  const q = (header: string): string | undefined => {
    try {
      return execFileSync('postmap', ['-c', dir, '-q', header, `regexp:${table}`], {
        encoding: 'utf8',
      }).trimEnd();
    } catch (err) {
      if ((err as { status?: number }).status === 1) return undefined; // not found
      throw err;
    }
  };

  it('removes and redacts listed headers', () => {
    expect(q('User-Agent: Thunderbird/115')).toBe('IGNORE');
    expect(q('X-MS-Exchange-Organization-AuthAs: Internal')).toBe('IGNORE');
    expect(q('X-MS-Exchange-Organization-SCL: 1')).toBe('DUNNO');
    expect(q('X-Note: alice at 10.0.0.1')).toBe('REPLACE X-Note: [redacted]');
    expect(q('Subject: hello')).toBeUndefined();
  });

  it('rewrites internal and authenticated hops, keeping by, id and date', () => {
    const tail = '\tby mail.example.com (Postfix) with ESMTP id 99XX;\n\tTue, 6 Jan 2026 09:59:59 +0000';
    const want = `REPLACE Received: from redacted.invalid ${tail.slice(1)}`;
    expect(q(`Received: from laptop (unknown [10.1.2.3])\n${tail}`)).toBe(want);
    expect(q(`Received: from [192.168.1.20] (unknown [192.168.1.20])\n${tail}`)).toBe(want);
    expect(q(`Received: from x (y [100.64.1.2])\n${tail}`)).toBe(want);
    expect(q(`Received: from ws1.corp.local (ws1.corp.local [192.0.2.4])\n${tail}`)).toBe(want);
    expect(q(`Received: from relay.corp.example.com (relay.corp.example.com [192.0.2.4])\n${tail}`)).toBe(
      want,
    );
    const auth =
      'Received: from pub.example.net (pub.example.net [198.51.100.7])\n\t(Authenticated sender: alice@example.com)\n\tby mail.example.com (Postfix) with ESMTPSA id 1;\n\tTue, 6 Jan 2026';
    expect(q(auth)).toBe(
      'REPLACE Received: from redacted.invalid by mail.example.com (Postfix) with ESMTPSA id 1;\n\tTue, 6 Jan 2026',
    );
    expect(q(`Received: from mail.example.org (mail.example.org [192.0.2.10])\n${tail}`)).toBeUndefined();
  });
});
