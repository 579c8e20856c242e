import { describe, expect, it } from 'vitest';
import { defaultHeaderPolicy, parseHeaderPolicy } from './policy.js';
import { postfixHeaderChecks } from './postfix-header-checks.js';

describe('postfixHeaderChecks', () => {
  it('turns remove/redact/pseudonymise rules into IGNORE/REPLACE lines and lists what needs the milter', () => {
    const p = parseHeaderPolicy(
      'version: 1\ndefault: remove\nheaders:\n  X-Mailer: remove\n  X-Note: redact\n  X-Ip: pseudonymise\n  X-MS-Exchange-Organization-*: remove\n  X-Keep: keep\n',
      'p',
    );
    const r = postfixHeaderChecks(p, '/etc/postfix/hc');
    expect(r.table).toContain('/^x-mailer:/ IGNORE');
    expect(r.table).toContain('/^(x-note):.*$/ REPLACE ${1}: [redacted]');
    expect(r.table).toContain('/^(x-ip):.*$/ REPLACE ${1}: [redacted]');
    expect(r.table).toContain('/^x-keep:/ DUNNO');
    expect(r.table).toContain('/^x-ms-exchange-organization-[^:]*:/ IGNORE');
    expect(r.masterCf).toContain('-o header_checks=regexp:/etc/postfix/hc');
    // First match wins in Postfix: the exact keep must come before the broader prefix rule.
    expect(r.table.indexOf('/^x-keep:/')).toBeLessThan(
      r.table.indexOf('/^x-ms-exchange-organization-[^:]*:/'),
    );
    expect(r.needsMilter.join('\n')).toMatch(/x-ip: pseudonymise/);
    expect(r.needsMilter.join('\n')).toMatch(/default: remove/);
    expect(r.needsMilter.join('\n')).toMatch(/x-note: redact/);
  });

  it('emits Received rewrites whose back-references point at the by-clause group', () => {
    const r = postfixHeaderChecks(defaultHeaderPolicy());
    const rules = r.table.split('\n').filter((l) => l.startsWith('/^Received'));
    expect(rules).toHaveLength(3);
    for (const rule of rules) {
      const m = /^\/(.*)\/ REPLACE Received: from redacted\.invalid \$\{(\d+)\}$/.exec(rule)!;
      // Translate the POSIX classes so JavaScript can run the same pattern and check the group.
      const re = new RegExp(m[1]!.replace(/\[:space:\]/g, '\\s'), 'is');
      const sample = rule.includes('SMTP|LMTP')
        ? 'Received: from x (y [203.0.113.1])\n\tby mx.example.com (Postfix) with ESMTPSA id 1; Tue'
        : rule.includes('10\\.')
          ? 'Received: from x (y [10.0.0.1])\n\tby mx.example.com (Postfix) with ESMTP id 1; Tue'
          : 'Received: from ws1.corp.local (ws1 [192.0.2.1])\n\tby mx.example.com (Postfix) with ESMTP id 1; Tue';
      const got = re.exec(sample);
      expect(got?.[Number(m[2])]).toMatch(/^by mx\.example\.com \(Postfix\) with ESMTP/);
    }
  });

  it('adds the internal zones to the host rule and honours rewrite none', () => {
    const zoned = postfixHeaderChecks(
      parseHeaderPolicy('version: 1\ninternalZones: [corp.example.com]\n', 'p'),
    );
    expect(zoned.table).toContain('|corp\\.example\\.com)');
    const none = postfixHeaderChecks(parseHeaderPolicy('version: 1\nreceived:\n  rewrite: none\n', 'p'));
    expect(none.table).not.toContain('^Received');
  });
});
