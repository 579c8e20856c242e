import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readZip, writeMaildir } from './support/dsar-fixture.js';
import { cli } from './support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-dsar-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const maildir = join(dir, 'Maildir');
writeMaildir(maildir);

describe.concurrent('mailcomply dsar (CLI)', () => {
  it('find prints every location with counts per kind', async () => {
    const r = await cli(['dsar', 'find', '--subject', 'Ann@x.org', '--maildir', maildir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3 matched (mailbox 2, sent 1)');
    expect(r.stdout).toContain('address Ann@x.org in body part 1 (base64)');
    expect(r.stdout).not.toContain('joann-only');
    expect(r.stderr).toBe('');
  });
  it('find writes JSON and HTML reports with --out', async () => {
    const json = join(dir, 'r.json');
    const r = await cli([
      'dsar',
      'find',
      '--subject',
      'ann@x.org',
      '--maildir',
      `archive=${maildir}`,
      '--format',
      'json',
      '--out',
      json,
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.countsByKind).toEqual({ archive: 3 });
    const html = join(dir, 'r.html');
    expect(
      (
        await cli([
          'dsar',
          'find',
          '--subject',
          'ann@x.org',
          '--maildir',
          maildir,
          '--format',
          'html',
          '--out',
          html,
        ])
      ).code,
    ).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('<h2>Matches</h2>');
  });
  it('export writes the package, taking sources from mailcomply.yaml', async () => {
    const cfg = join(dir, 'mailcomply.yaml');
    writeFileSync(
      cfg,
      `sources:\n  - type: maildir\n    path: ${maildir}\nretention:\n  stores:\n    - name: mail\n      type: maildir\n      path: ${maildir}\n      maxAge: 2y\n`,
    );
    const out = join(dir, 'ann.zip');
    const r = await cli(['--config', cfg, 'dsar', 'export', '--subject', 'ann@x.org', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3 items (mailbox 2, sent 1)');
    const zip = readZip(readFileSync(out));
    expect([...zip.keys()].filter((k) => k.endsWith('.eml'))).toHaveLength(3);
    expect(zip.get('summary.html')?.toString()).toContain('2y, then delete');
  });
  it('is a usage error without a source or a subject', async () => {
    const a = await cli(['dsar', 'find', '--subject', 'ann@x.org']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('at least one source');
    const b = await cli(['dsar', 'find', '--maildir', maildir]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--subject');
  });
});
