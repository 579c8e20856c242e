import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { anonymizeFile, anonymizeInPlace } from './file.js';
import { deriveKeys } from './keys.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-anon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keys = deriveKeys(Buffer.from('22'.repeat(32)));
const LOG = Array.from(
  { length: 2000 },
  (_, i) =>
    `Nov 27 10:00:${String(i % 60).padStart(2, '0')} mx postfix/smtpd[${i}]: ABC${i}: client=h${i}.example.net[192.0.2.${(i % 250) + 1}], sasl_username=user${i % 7}\n`,
).join('');

describe('anonymizeFile / anonymizeInPlace', () => {
  it('reads gzip by its magic bytes and writes gzip for a .gz name', async () => {
    const src = join(dir, 'mail.log.1');
    writeFileSync(src, gzipSync(LOG));
    const out = join(dir, 'out.log.gz');
    const r = await anonymizeFile(src, out, { keys });
    expect(r).toMatchObject({ gzipIn: true, gzipOut: true, bytesIn: LOG.length });
    const text = gunzipSync(readFileSync(out)).toString();
    expect(text.split('\n')).toHaveLength(2001);
    expect(text).not.toMatch(/192\.0\.2\.[1-9]|user\d/);
    expect(r.counts).toMatchObject({ lines: 2000, ipv4: 2000, users: 2000, hosts: 2000 });
  });

  it('rewrites in place keeping the mode, and gives the same bytes as a copy run with the same key', async () => {
    const p = join(dir, 'inplace.log');
    writeFileSync(p, LOG);
    chmodSync(p, 0o640);
    const copy = join(dir, 'copy.log');
    await anonymizeFile(p, copy, { keys });
    await anonymizeInPlace(p, { keys });
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(readFileSync(p).equals(readFileSync(copy))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps a gzip file gzip when rewriting it in place', async () => {
    const p = join(dir, 'rotated.log.2.gz');
    writeFileSync(p, gzipSync(LOG));
    await anonymizeInPlace(p, { keys });
    expect(gunzipSync(readFileSync(p)).toString()).toMatch(/client=example\.net\[192\.0\.2\.0\]/);
  });

  it('fails clearly on truncated gzip and leaves the original and no partial output', async () => {
    const p = join(dir, 'broken.log.gz');
    const gz = gzipSync(LOG);
    const cut = gz.subarray(0, gz.length >> 1);
    writeFileSync(p, cut);
    await expect(anonymizeInPlace(p, { keys })).rejects.toMatchObject({ code: 'E_INPUT' });
    expect(readFileSync(p).equals(cut)).toBe(true);
    const out = join(dir, 'broken-out.log');
    await expect(anonymizeFile(p, out, { keys })).rejects.toMatchObject({ code: 'E_INPUT' });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports an unreadable input as an I/O error', async () => {
    await expect(anonymizeFile(join(dir, 'missing.log'), join(dir, 'x.log'), { keys })).rejects.toMatchObject(
      {
        code: 'E_IO',
      },
    );
  });

  it('refuses what is not a regular file', async () => {
    await expect(anonymizeInPlace(dir, { keys })).rejects.toMatchObject({ code: 'E_INPUT' });
  });

  it('spreads the work over worker threads with the same result', async () => {
    const big = LOG.repeat(50); // ~10 MB: several 4 MiB blocks
    const p = join(dir, 'big.log');
    writeFileSync(p, big);
    const one = join(dir, 'one.log');
    const two = join(dir, 'two.log');
    const r1 = await anonymizeFile(p, one, { keys });
    const r2 = await anonymizeFile(p, two, { keys, threads: 2 });
    expect(readFileSync(two).equals(readFileSync(one))).toBe(true);
    expect(r2.counts).toEqual(r1.counts);
  });

  it('with threads, writes gzip as one member per block that any gunzip reads back whole', async () => {
    const big = LOG.repeat(30);
    const p = join(dir, 'big.log.gz');
    writeFileSync(p, gzipSync(big));
    const one = join(dir, 'one.log');
    const many = join(dir, 'many.log.gz');
    const r1 = await anonymizeFile(p, one, { keys });
    const r2 = await anonymizeFile(p, many, { keys, threads: 3 });
    const packed = readFileSync(many);
    // Several members: each starts with the gzip magic and header of deflate, no flags.
    let members = 0;
    for (
      let at = packed.indexOf('1f8b0800', 0, 'hex');
      at >= 0;
      at = packed.indexOf('1f8b0800', at + 1, 'hex')
    )
      members++;
    expect(members).toBeGreaterThan(1);
    expect(gunzipSync(packed).equals(readFileSync(one))).toBe(true);
    expect(r2.counts).toEqual(r1.counts);
    expect(r2.gzipOut).toBe(true);
  });

  it('gives every worker the Exchange CSV columns, so subjects are redacted in every block', async () => {
    const fixture = readFileSync(
      new URL('../../../test/fixtures/logs/exchange-tracking.log', import.meta.url),
      'latin1',
    );
    const [header, row] = [fixture.split('\n').slice(0, 5).join('\n'), fixture.split('\n')[5]!];
    const p = join(dir, 'tracking.log');
    writeFileSync(p, `${header}\n${`${row}\n`.repeat(12_000)}`, 'latin1');
    const out = join(dir, 'tracking-anon.log');
    const r = await anonymizeFile(p, out, { keys, threads: 2 });
    expect(r.counts.redacted).toBe(12_000);
    expect(readFileSync(out, 'latin1')).not.toContain('Quarterly');
  });
});
