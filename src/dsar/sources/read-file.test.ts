import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { namedSize } from './maildir.js';
import { readMessageFile } from './read-file.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-read-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readMessageFile with the size a Maildir name states', () => {
  const path = join(dir, 'msg');
  const text = 'From: a@b.example\n\nhello\n';
  writeFileSync(path, text);

  it('reads the file whether the stated size is right, too small, too large or absent', () => {
    for (const hint of [text.length, text.length - 1, text.length + 1, 0, 1 << 20, undefined]) {
      const scratch = { buf: Buffer.alloc(0) };
      const got = readMessageFile(path, scratch, hint);
      expect(Buffer.isBuffer(got) && got.toString()).toBe(text);
    }
  });

  it('reads any content under any stated size, into a reused buffer', () => {
    const scratch = { buf: Buffer.alloc(8) };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: -5, max: 5 }), (bytes, off) => {
        writeFileSync(path, bytes);
        const got = readMessageFile(path, scratch, Math.max(0, bytes.length + off));
        expect(Buffer.isBuffer(got) && Buffer.compare(got, Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('tells a directory and a FIFO apart from a message, without blocking on the FIFO', () => {
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    expect(readMessageFile(sub, { buf: Buffer.alloc(0) }, 10)).toBe('not-a-file');
    const fifo = join(dir, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    expect(readMessageFile(fifo, { buf: Buffer.alloc(0) }, 10)).toBe('not-a-file');
    expect(readMessageFile(fifo)).toBe('not-a-file');
  });
});

describe('namedSize', () => {
  it('reads the S= field of Dovecot file names', () => {
    expect(namedSize('1700000000.M1P2.host,S=2301,W=2355:2,S')).toBe(2301);
    expect(namedSize('1700000000.M1P2.host,S=0:2,')).toBe(0);
    expect(namedSize('1700000000.M1P2.host:2,S')).toBeUndefined();
    expect(namedSize('1700000000.M1P2.host,S=:2,S')).toBeUndefined();
    expect(namedSize('x,S=1234567890123456789')).toBeUndefined();
  });

  it('gives back any size written into a name', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom('', ',W=9', ':2,S'), (n, tail) => {
        expect(namedSize(`1700000000.M1P2.host,S=${n}${tail}`)).toBe(n);
      }),
    );
  });
});

describe('readMessageFile and a name that overstates the size', () => {
  it('does not grow the read buffer for a size only the name claims', () => {
    const path = join(dir, 'small');
    writeFileSync(path, 'tiny\n');
    const scratch = { buf: Buffer.alloc(1024) };
    const got = readMessageFile(path, scratch, 60 * 1024 * 1024);
    expect(Buffer.isBuffer(got) && got.toString()).toBe('tiny\n');
    expect(scratch.buf.length).toBe(1024);
  });
});
