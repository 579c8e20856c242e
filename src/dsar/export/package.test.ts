import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MESSAGES, mboxText, readZip, writeMaildir } from '../../../test/unit/support/dsar-fixture.js';
import { compileIdentity } from '../identity.js';
import { runFind } from '../search/run.js';
import type { SourceSpec } from '../types.js';
import { exportPackage, type ManifestItem } from './package.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-dsar-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

const maildir = join(dir, 'Maildir');
writeMaildir(maildir);
writeFileSync(join(dir, 'archive.mbox'), mboxText());
writeFileSync(
  join(dir, 'mail.log'),
  'Nov 26 10:00:00 mx postfix/smtp[1]: ABC: to=<ann@x.org>, relay=r[1.2.3.4]:25, status=sent (ok)\nNov 26 10:00:01 mx postfix/smtp[1]: ABD: to=<joann@x.org>, relay=r[1.2.3.4]:25, status=sent (ok)\n',
);
const sources: SourceSpec[] = [
  { type: 'maildir', kind: 'mailbox', path: maildir },
  { type: 'mbox', kind: 'archive', path: join(dir, 'archive.mbox') },
  { type: 'log', kind: 'log', path: join(dir, 'mail.log') },
  { type: 'eml-dir', kind: 'quarantine', path: join(dir, 'missing') },
];
const id = compileIdentity({ addresses: ['ann@x.org'], names: [] });
const about = Object.values(MESSAGES).filter((m) => m.about).length;

describe('runFind', () => {
  it('finds exactly the messages about the subject in every store (recall and precision)', async () => {
    const r = await runFind(sources, id);
    // INBOX holds plain-from and base64-body, Sent holds encoded-subject (see writeMaildir).
    expect(r.countsByKind).toEqual({ mailbox: 2, sent: 1, archive: about, log: 1 });
    const subjects = r.matches.filter((m) => m.location.type === 'mbox').map((m) => m.subject);
    expect(subjects).toEqual(['hello', 'forwarded', 'Nachricht von ann@x.org']);
    expect(r.problems).toEqual([{ source: sources[3], item: join(dir, 'missing'), reason: 'not found' }]);
    expect(r.sources.map((s) => s.items)).toEqual([5, 5, 2, 0]);
  });
});

describe('exportPackage', () => {
  it('writes messages, log events, a manifest with correct sha256 and a summary', async () => {
    const out = join(dir, 'ann.zip');
    const { manifest } = await exportPackage(sources, id, out, {
      retention: new Map([[`mbox:${join(dir, 'archive.mbox')}`, '1y, then delete']]),
      ownDomains: ['x.org'],
      clock: () => new Date('2026-11-27T10:00:00Z'),
    });
    const zip = readZip(readFileSync(out));
    const doc = JSON.parse(zip.get('manifest.json')?.toString() ?? '{}') as { items: ManifestItem[] };
    expect(doc.items).toEqual(manifest);
    const emls = manifest.filter((m) => m.file.endsWith('.eml'));
    expect(emls).toHaveLength(about * 2);
    for (const m of emls) expect(sha(zip.get(m.file) ?? '')).toBe(m.sha256);
    const events = (zip.get('logs/events.jsonl')?.toString() ?? '').trim().split('\n');
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0] ?? '{}').event.to).toEqual(['ann@x.org']);
    const summary = zip.get('summary.html')?.toString() ?? '';
    expect(summary).toContain('1y, then delete');
    expect(summary).toContain('partner.example');
    expect(summary).toContain('Message content');
    expect(summary).not.toContain('<li>x.org');
    expect(JSON.parse(zip.get('report.json')?.toString() ?? '{}').kind).toBe('mailcomply.dsar.find');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('exports the same bytes when messages are scanned on worker threads', async () => {
    const out = join(dir, 'threads.zip');
    const { manifest } = await exportPackage(sources, id, out, { threads: 2, workersAfter: 0 });
    const zip = readZip(readFileSync(out));
    const emls = manifest.filter((m) => m.file.endsWith('.eml'));
    expect(emls).toHaveLength(about * 2);
    for (const m of emls) {
      expect(sha(zip.get(m.file) ?? '')).toBe(m.sha256);
      if (m.location.type === 'maildir') expect(m.sha256).toBe(m.location.sha256);
    }
  });
  it('fails cleanly, leaving nothing behind, when the package cannot be written', async () => {
    await expect(exportPackage(sources, id, join(dir, 'no-such-dir', 'x.zip'))).rejects.toThrow(
      /cannot write/,
    );
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
