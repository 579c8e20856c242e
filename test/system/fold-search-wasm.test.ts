import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The pre-filter's WebAssembly is committed assembled; this proves it is its source, assembled.
const dir = mkdtempSync(join(tmpdir(), 'mailcomply-wasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fold-search.wasm', () => {
  it('is fold-search.wat as wat2wasm (wabt) assembles it', () => {
    const src = new URL('../../src/dsar/search/fold-search.wat', import.meta.url).pathname;
    const out = join(dir, 'fold-search.wasm');
    execFileSync('wat2wasm', [src, '-o', out]);
    const committed = readFileSync(new URL('../../src/dsar/search/fold-search.wasm', import.meta.url));
    expect(Buffer.compare(readFileSync(out), committed)).toBe(0);
  });
});
