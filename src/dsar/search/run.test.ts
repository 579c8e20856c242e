import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMaildir } from '../../../test/unit/support/dsar-fixture.js';
import { compileIdentity } from '../identity.js';
import { runFind } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcomply-dsar-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runFind on worker threads', () => {
  it('gives the same matches, in the same order, as the single-threaded search', async () => {
    const root = join(dir, 'Maildir');
    writeMaildir(root);
    // More messages than the workers' queue, so ordering across batches is exercised.
    for (let i = 0; i < 120; i++)
      writeFileSync(
        join(root, 'cur', `2000${i}.M${i}P1.host:2,S`),
        i % 3 === 0 ? `From: x@y.example\nCc: Ann@X.org\n\n${i}\n` : `From: x@y.example\n\n${i}\n`,
      );
    const id = compileIdentity({ addresses: ['ann@x.org'], names: [] });
    const src = [{ type: 'maildir' as const, kind: 'mailbox' as const, path: root }];
    const one = await runFind(src, id);
    const two = await runFind(src, id, { threads: 2 });
    expect(one.matches.length).toBe(3 + 40);
    expect(two.matches).toEqual(one.matches);
    expect(two.sources).toEqual(one.sources);
  });
});
