import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { policyFromFlag } from '../../src/cli/commands/postfix-header-checks.js';
import { UsageError } from '../../src/core/errors.js';

const root = new URL('../../', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures/messages');

function cli(args: string[], stdin?: Buffer): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000, encoding: 'buffer' },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr: stderr.toString() });
      },
    );
    child.stdin!.end(stdin ?? Buffer.alloc(0));
  });
}

describe.concurrent('mailcomply headers / postfix header-checks (CLI)', () => {
  it('analyze: JSON report with schema 1, internal zones from mailcomply.yaml, exit 1 with --fail-on high', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailcomply-hcfg-'));
    const config = join(dir, 'mailcomply.yaml');
    writeFileSync(config, 'version: 1\norganisation:\n  internalZones: [corp.example.com]\n');
    const r = await cli([
      'headers',
      'analyze',
      join(fixtures, 'internal-submission.eml'),
      '--config',
      config,
      '--format',
      'json',
      '--fail-on',
      'high',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout.toString());
    expect(doc.schema).toBe(1);
    expect(doc.kind).toBe('headers-analysis');
    expect(doc.aggregate.byFinding['headers.internal-ip']).toBe(1);
    expect(doc.aggregate.internalHosts).toEqual([{ value: 'relay1.corp.example.com', messages: 1 }]);
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(join(root, 'schemas/headers-report.schema.json'), 'utf8')),
    );
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('sanitize: policy + key file, stdin to stdout, body untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailcomply-hcli-'));
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'a-test-key-of-32-bytes-0123456789\n');
    const input = readFileSync(join(fixtures, 'internal-submission.eml'));
    const r = await cli(
      ['headers', 'sanitize', '--policy', join(fixtures, 'policy.yaml'), '--key-file', keyFile, '--changes'],
      input,
    );
    expect(r.code).toBe(0);
    const out = r.stdout.toString('latin1');
    expect(out).not.toContain('User-Agent');
    expect(out).not.toContain('10.20.0.5');
    expect(out).toMatch(/X-Originating-IP: \[anon-[0-9a-f]{16}\]/);
    const body = (b: Buffer) => b.subarray(b.indexOf('\r\n\r\n')).toString('latin1');
    expect(body(r.stdout)).toBe(body(input));
    expect(r.stderr).toContain('remove User-Agent #1 (remove)');
  });

  it('sanitize: an invalid policy is a usage error naming file, line and field', () => {
    expect(() => policyFromFlag(join(fixtures, 'policy-bad.yaml'))).toThrow(UsageError);
    expect(() => policyFromFlag(join(fixtures, 'policy-bad.yaml'))).toThrow(
      /policy-bad\.yaml: line 4: headers\.X-Mailer/,
    );
    expect(policyFromFlag(undefined).received.rewrite).toBe('internal-and-client');
  });

  it('postfix header-checks: table, master.cf and the rules that need the milter', async () => {
    const r = await cli(['postfix', 'header-checks', '--policy', join(fixtures, 'policy.yaml')]);
    expect(r.code).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain('/^user-agent:/ IGNORE');
    expect(out).toContain('/^(x-forwarded-for):.*$/ REPLACE ${1}: [redacted]');
    expect(out).toContain('cleanup_service_name=subcleanup');
    expect(out).toContain('x-originating-ip: pseudonymise');
  });
});
