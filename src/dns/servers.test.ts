import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { formatServer, parseServer, systemServers } from './servers.js';

describe('parseServer', () => {
  it.each([
    ['127.0.0.1', { host: '127.0.0.1', port: 53 }],
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
    [' 10.0.0.1:1 ', { host: '10.0.0.1', port: 1 }],
    ['::1', { host: '::1', port: 53 }],
    ['2001:db8::53', { host: '2001:db8::53', port: 53 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['[::1]', { host: '::1', port: 53 }],
  ])('parses %j', (spec, server) => {
    expect(parseServer(spec)).toEqual(server);
  });

  it.each([
    '',
    'localhost',
    'dns.example:53',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1:x',
    '[127.0.0.1]:53',
    '[::1]:',
    '300.0.0.1',
  ])('rejects %j with a UsageError naming the value', (spec) => {
    let error: unknown;
    try {
      parseServer(spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('E_USAGE');
    expect((error as UsageError).message).toContain(`"${spec.trim()}"`);
  });

  it('formats back to something it parses', () => {
    for (const spec of ['127.0.0.1:5353', '[::1]:5353']) {
      expect(formatServer(parseServer(spec))).toBe(spec);
    }
  });
});

describe('systemServers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailcomply-resolv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads nameserver lines in order and skips comments and junk', () => {
    const path = join(dir, 'resolv.conf');
    writeFileSync(
      path,
      '# comment\nsearch example.org\nnameserver 192.0.2.53\n  nameserver ::1\nnameserver not-an-ip\n;nameserver 10.0.0.1\noptions edns0\n',
    );
    expect(systemServers(path)).toEqual([
      { host: '192.0.2.53', port: 53 },
      { host: '::1', port: 53 },
    ]);
  });

  it('falls back to 127.0.0.1:53 when the file is missing or names no server', () => {
    expect(systemServers(join(dir, 'missing'))).toEqual([{ host: '127.0.0.1', port: 53 }]);
    const empty = join(dir, 'empty.conf');
    writeFileSync(empty, 'search example.org\n');
    expect(systemServers(empty)).toEqual([{ host: '127.0.0.1', port: 53 }]);
  });
});
