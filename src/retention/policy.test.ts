import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config.js';
import { cronLine, systemdUnits } from './schedule.js';
import { parseDuration, policyHash, resolvePolicyPaths, RetentionSchema } from './policy.js';

describe('retention policy', () => {
  it('parses durations', () => {
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    expect(() => parseDuration('3 months')).toThrow();
  });

  it('is read from mailcomply.yaml and errors name the line and field', () => {
    const ok = parseConfig(
      'retention:\n  stores:\n    - { name: junk, type: maildir, path: /var/mail/.Junk, maxAge: 30d }\n',
      'mailcomply.yaml',
    );
    expect(ok.retention?.stores[0]).toMatchObject({ name: 'junk', action: 'delete' });
    expect(() =>
      parseConfig(
        'retention:\n  stores:\n    - name: junk\n      type: maildir\n      path: /m\n      maxAge: 30d\n      action: anonymize\n',
        'mailcomply.yaml',
      ),
    ).toThrow(
      /mailcomply\.yaml:7: retention\.stores\[0\]\.action: action anonymize is only possible for log stores/,
    );
    expect(() =>
      parseConfig('retention:\n  stores:\n    - { name: l, type: log, path: /x, maxAge: 30 days }\n', 'f'),
    ).toThrow(/maxAge: expected a duration/);
    expect(() =>
      parseConfig('retention:\n  stores:\n    - { name: l, type: archive, maxAge: 3d }\n', 'f'),
    ).toThrow(/path is required/);
  });

  it('hashes policies independent of key order and resolves relative paths against the config folder', () => {
    const a = RetentionSchema.parse({ stores: [{ name: 'a', type: 'archive', path: 'arch', maxAge: '1y' }] });
    const b = RetentionSchema.parse({ stores: [{ maxAge: '1y', path: 'arch', type: 'archive', name: 'a' }] });
    expect(policyHash(a)).toBe(policyHash(b));
    expect(policyHash(a)).not.toBe(policyHash({ ...a, stores: [{ ...a.stores[0]!, maxAge: '2y' }] }));
    expect(resolvePolicyPaths(a, '/etc/mailcomply').stores[0]!.path).toBe('/etc/mailcomply/arch');
  });

  it('quotes paths with spaces in the schedule', () => {
    const o = { bin: '/opt/mail comply/bin/mailcomply', config: "/etc/it's.yaml", user: 'mail' };
    expect(systemdUnits(o).service).toContain(
      `ExecStart='/opt/mail comply/bin/mailcomply' --config '/etc/it'\\''s.yaml' retention apply --yes --quiet`,
    );
    expect(cronLine(o)).toMatch(/^30 3 \* \* \* mail '\/opt\/mail comply/m);
  });
});
