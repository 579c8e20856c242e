import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mailcomply-retention-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OLD = 'Date: Mon, 01 Jan 2024 10:00:00 +0000\nSubject: old\n\nbody\n';

function setup(withEscape: boolean): { config: string; evidence: string; arch: string; outside: string } {
  const base = mkdtempSync(join(dir, 'case-'));
  const arch = join(base, 'archive');
  mkdirSync(join(arch, '2023'), { recursive: true });
  writeFileSync(join(arch, '2023', 'a.eml'), OLD);
  writeFileSync(
    join(arch, '2023', 'recent.eml'),
    OLD.replace('Mon, 01 Jan 2024 10:00:00 +0000', new Date().toUTCString()),
  );
  const log = join(base, 'log');
  mkdirSync(log);
  writeFileSync(join(log, 'mail.log'), 'Jan  5 10:00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n');
  writeFileSync(join(log, 'mail.log.1'), 'Jan  5 10:00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n');
  utimesSync(join(log, 'mail.log.1'), new Date('2024-01-06'), new Date('2024-01-06'));
  const outside = join(base, 'outside.eml');
  writeFileSync(outside, OLD);
  if (withEscape) symlinkSync(outside, join(arch, '2023', 'escape.eml'));
  const config = join(base, 'mailcomply.yaml');
  writeFileSync(
    config,
    [
      'retention:',
      '  evidence: evidence.jsonl',
      '  stores:',
      '    - { name: archive, type: archive, path: archive, maxAge: 30d }',
      '    - { name: mail-log, type: log, path: log/mail.log, maxAge: 30d, action: delete }',
      '',
    ].join('\n'),
  );
  return { config, evidence: join(base, 'evidence.jsonl'), arch, outside };
}

describe('mailcomply retention', () => {
  it('plan changes nothing; apply refuses without confirmation; apply --plan acts and writes verifiable evidence', async () => {
    const s = setup(false);
    const plan = await cli(['--config', s.config, 'retention', 'plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /archive \(archive, delete after 30d.*\): 1 message\(s\), 57 B, oldest 2024-01-01/,
    );
    expect(plan.stdout).toMatch(/mail-log \(log.*\): 1 file\(s\)/);
    expect(existsSync(join(s.arch, '2023', 'a.eml'))).toBe(true);

    const refused = await cli(['--config', s.config, 'retention', 'apply']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--plan FILE .* or --yes/);
    expect(existsSync(join(s.arch, '2023', 'a.eml'))).toBe(true);

    const planFile = join(dir, 'plan.json');
    expect(
      (await cli(['--config', s.config, 'retention', 'plan', '--format', 'json', '--out', planFile])).code,
    ).toBe(0);
    const schema = JSON.parse(
      readFileSync(join(root, 'schemas/retention-plan.schema.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const planDoc = JSON.parse(readFileSync(planFile, 'utf8')) as unknown;
    expect(validate(planDoc), JSON.stringify(validate.errors)).toBe(true);
    const applied = await cli(['--config', s.config, 'retention', 'apply', '--plan', planFile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Total: 2 done/);
    expect(existsSync(join(s.arch, '2023', 'a.eml'))).toBe(false);
    expect(existsSync(join(s.arch, '2023', 'recent.eml'))).toBe(true);

    const entry = JSON.parse(readFileSync(s.evidence, 'utf8').trim()) as { record: Record<string, unknown> };
    expect(entry.record).toMatchObject({
      type: 'mailcomply.retention.apply',
      totals: { done: 2, failed: 0 },
    });
    const planSha = createHash('sha256').update(readFileSync(planFile)).digest('hex');
    expect(entry.record.confirmedPlan).toMatchObject({ sha256: planSha });
    expect(Object.keys(entry.record)).toEqual(
      expect.arrayContaining(['policyHash', 'start', 'end', 'host', 'user']),
    );

    const ok = await cli(['--config', s.config, 'retention', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/1 entries, chain intact/);

    writeFileSync(s.evidence, readFileSync(s.evidence, 'utf8').replace('"done":2', '"done":1'));
    const broken = await cli(['retention', 'verify', s.evidence]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN at line 1/);
    // A tampered chain is not extended.
    const after = await cli(['--config', s.config, 'retention', 'apply', '--yes']);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/fails verification at line 1/);
  }, 60_000);

  it('a symlink escape is a per-item error with exit 3; the target survives and the rest is done', async () => {
    const s = setup(true);
    const r = await cli(['--config', s.config, 'retention', 'apply', '--yes']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/escape\.eml is a symbolic link; refused/);
    expect(readFileSync(s.outside, 'utf8')).toBe(OLD);
    expect(existsSync(join(s.arch, '2023', 'a.eml'))).toBe(false);
    expect(readFileSync(s.evidence, 'utf8')).toContain('symbolic link; refused');
  }, 60_000);

  it('schedule prints a systemd timer and service and a cron line', async () => {
    const r = await cli(['--config', '/etc/mailcomply.yaml', 'retention', 'schedule', '--systemd', '--cron']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[Timer]\nOnCalendar=*-*-* 03:30:00');
    expect(r.stdout).toContain(
      'ExecStart=/usr/local/bin/mailcomply --config /etc/mailcomply.yaml retention apply --yes --quiet',
    );
    expect(r.stdout).toMatch(
      /^30 3 \* \* \* root \/usr\/local\/bin\/mailcomply .* retention apply --yes --quiet$/m,
    );
    expect((await cli(['retention', 'schedule'])).code).toBe(2);
    const missing = await cli(['retention', 'verify', join(dir, 'no-such-evidence.jsonl')]);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toMatch(/cannot read evidence file: ENOENT/);
  }, 60_000);
});
