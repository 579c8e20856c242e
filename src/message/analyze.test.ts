import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeHeaderText, analyzePaths } from './analyze-run.js';
import { internalMatcher } from './internal.js';
import { walkMessages } from './sources.js';
import { renderHeadersHtml, renderHeadersText } from './report-render.js';

const fixtures = new URL('../../test/fixtures/messages/', import.meta.url).pathname;
const ids = (text: string, zones: string[] = []) =>
  analyzeHeaderText(text, internalMatcher(zones))
    .findings.map((f) => f.id)
    .sort();

describe('header exposure analysis', () => {
  it('finds every kind of exposure in a submitted message', () => {
    const run = analyzePaths([`${fixtures}internal-submission.eml`], { internalZones: ['corp.example.com'] });
    const m = run.messages[0]!;
    expect(m.findings.map((f) => f.id).sort()).toEqual([
      'headers.authenticated-user',
      'headers.client-ip',
      'headers.client-software',
      'headers.internal-host',
      'headers.internal-ip',
      'headers.message-id-host',
    ]);
    const hosts = m.findings.find((f) => f.id === 'headers.internal-host')!.evidence as {
      matched: string[];
    }[];
    expect(hosts.flatMap((h) => h.matched)).toEqual(['relay1.corp.example.com', 'relay1.corp.example.com']);
    // Evidence never carries the login, the e-mail local part or the public client address.
    const json = JSON.stringify(run);
    expect(json).not.toContain('alice@');
    expect(json).not.toContain('198.51.100.77');
    expect(json).toContain('198.51.100.x');
    expect(json).toContain('10.20.0.5');
    // A Received line in the body is not a header.
    expect(json).not.toContain('body.example');
  });

  it('needs the internal zone to call a name under a public domain internal', () => {
    expect(
      ids(
        `Received: from relay1.corp.example.com (relay1.corp.example.com [192.0.2.5]) by mx.example.com; x\n\n`,
      ),
    ).toEqual(['headers.clean']);
    expect(
      ids(
        `Received: from relay1.corp.example.com (relay1.corp.example.com [192.0.2.5]) by mx.example.com; x\n\n`,
        ['corp.example.com'],
      ),
    ).toEqual(['headers.internal-host']);
  });

  it('decodes encoded words and folding before matching', () => {
    const r = analyzeHeaderText(
      'X-Mailer: =?UTF-8?Q?Microsoft_Outlook_16.0?=\r\nX-Authenticated-Sender:\r\n =?UTF-8?B?YWxpY2VAZXhhbXBsZS5jb20=?=\r\n\r\n',
      internalMatcher(),
    );
    const sw = r.findings.find((f) => f.id === 'headers.client-software')!;
    expect(JSON.stringify(sw.evidence)).toContain('Microsoft Outlook 16.0');
    const user = r.findings.find((f) => f.id === 'headers.authenticated-user')!;
    expect(JSON.stringify(user.evidence)).not.toContain('alice');
  });

  it('reads Exchange headers, CGNAT and client IPs in X-Forwarded-For', () => {
    const run = analyzePaths([`${fixtures}exchange.eml`]);
    const f = run.messages[0]!.findings;
    const ip = f.find((x) => x.id === 'headers.internal-ip')!.evidence as { matched: string[] }[];
    expect(ip.flatMap((i) => i.matched)).toEqual(['10.1.1.5', '10.1.1.6', '100.64.3.9']);
    expect(f.map((x) => x.id)).toContain('headers.exchange-organisation');
    expect(f.map((x) => x.id)).toContain('headers.client-ip');
    expect(f.find((x) => x.status === 'fail' && x.id === 'headers.authenticated-user')).toBeDefined();
  });

  it('walks mbox files and Maildirs (cur, new, subfolders; not tmp or index files)', () => {
    const sources = [...walkMessages([`${fixtures}sent.mbox`, `${fixtures}maildir`])].map((s) => s.source);
    expect(sources.map((s) => s.replace(fixtures, ''))).toEqual([
      'sent.mbox#1',
      'sent.mbox#2',
      'maildir/.Sent/cur/1767686402.M3P1.host:2,S',
      'maildir/cur/1767686400.M1P1.host:2,S',
      'maildir/new/1767686401.M2P1.host',
    ]);
    const run = analyzePaths([`${fixtures}sent.mbox`]);
    expect(run.messages.map((m) => m.findings.map((f) => f.id).sort())).toEqual([
      ['headers.client-software', 'headers.internal-host', 'headers.internal-ip'],
      ['headers.message-id-host'],
    ]);
    expect(run.aggregate.software).toEqual([{ value: 'Evolution 3.46', messages: 1 }]);
  });

  it('reports hostile files per file and keeps going', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailcomply-headers-'));
    writeFileSync(join(dir, '01-empty.eml'), '');
    writeFileSync(join(dir, '02-binary.eml'), Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a, 0x0a, 0x41]));
    writeFileSync(
      join(dir, '03-long-line.eml'),
      `X-Big: ${'x'.repeat(1024 * 1024)}\r\nUser-Agent: Mutt\r\n\r\nbody`,
    );
    writeFileSync(join(dir, '04-nul.eml'), 'Subject: a\0b\nX-Mailer: PHPMailer\0 6\n\nbody');
    writeFileSync(
      join(dir, '05-header-only.eml'),
      'Received: from ws (ws [10.0.0.1]) by mx; x\r\nSubject: cut',
    );
    writeFileSync(join(dir, '06-huge-header.eml'), `X-Pad: ${'p'.repeat(5 * 1024 * 1024)}`);
    let nested = 'Subject: inner\n\nbody\n';
    for (let i = 0; i < 100; i++)
      nested = `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\nContent-Type: message/rfc822\n\n${nested}--b${i}--\n`;
    writeFileSync(join(dir, '07-nested.eml'), `User-Agent: deep\n${nested}`);
    mkdirSync(join(dir, 'unreadable'));
    const run = analyzePaths([dir, join(dir, 'missing.eml')]);
    const by = Object.fromEntries(
      run.messages.map((m) => [m.source.replace(`${dir}/`, ''), m.findings.map((f) => f.id)]),
    );
    expect(by['01-empty.eml']).toEqual(['headers.read']);
    expect(by['02-binary.eml']).toEqual(['headers.read']);
    expect(by['03-long-line.eml']).toContain('headers.client-software');
    expect(by['04-nul.eml']).toEqual(['headers.client-software', 'headers.malformed']);
    expect(by['05-header-only.eml']).toEqual(['headers.internal-ip', 'headers.internal-host']);
    expect(by['06-huge-header.eml']).toEqual(['headers.read']);
    expect(by['07-nested.eml']).toEqual(['headers.client-software']);
    expect(by['missing.eml']).toEqual(['headers.read']);
    expect(run.aggregate.errors).toBe(4);
    expect(run.messages.find((m) => m.source.endsWith('06-huge-header.eml'))!.findings[0]!.detail).toMatch(
      /header block larger than/,
    );
  });

  it('survives every message in the real-world corpora', () => {
    const root = '/work/shared/corpora';
    const sets = readdirSync(root)
      .filter((d) => d.startsWith('rfc5322-'))
      .map((d) => join(root, d));
    const run = analyzePaths(sets);
    expect(run.aggregate.messages).toBeGreaterThan(200);
    for (const m of run.messages) expect(m.findings.length).toBeGreaterThan(0);
    // Nearly all are real messages: unreadable ones are the MIME part fragments and licence texts.
    expect(run.aggregate.errors).toBeLessThan(run.aggregate.messages / 4);
    expect(JSON.parse(JSON.stringify(run)).schema).toBe(1);
  });

  it('renders text and escaped HTML', () => {
    const run = analyzePaths([`${fixtures}sent.mbox`]);
    const html = renderHeadersHtml(run);
    expect(html).toContain('&#60;abc@[192.168.7.7]&#62;');
    expect(html).not.toContain('<abc@');
    const text = renderHeadersText(run, { color: false });
    expect(text).toContain('Header exposure: 2 message(s), 0 clean, 0 unreadable');
    expect(text).toContain('sent.mbox#1');
    expect(renderHeadersText(run, { color: false, quiet: true })).not.toContain('sent.mbox#1');
  });
});
