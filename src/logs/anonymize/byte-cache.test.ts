import { describe, expect, it } from 'vitest';
import { ByteCache } from './byte-cache.js';
import { OutBuffer } from './out-buffer.js';

const valueOf = (c: ByteCache, key: string): string | undefined => {
  const b = Buffer.from(`xx${key}yy`, 'latin1');
  const p = c.find(b, 2, 2 + key.length);
  if (p < 0) return undefined;
  const out = new OutBuffer(16);
  c.writeValue(p, out);
  return out.view().toString('latin1');
};
const put = (c: ByteCache, key: string, value: string): number =>
  c.set(Buffer.from(key, 'latin1'), 0, key.length, value);

describe('ByteCache', () => {
  it('finds what was set by the bytes of a range, and nothing else', () => {
    const c = new ByteCache(100);
    put(c, 'alice@example.org', 'u-1');
    put(c, 'bob', 'u-22');
    expect(valueOf(c, 'alice@example.org')).toBe('u-1');
    expect(valueOf(c, 'bob')).toBe('u-22');
    expect(valueOf(c, 'bo')).toBeUndefined();
    expect(valueOf(c, 'Bob')).toBeUndefined();
    expect(valueOf(c, '')).toBeUndefined();
  });

  it('tells a key mapped to itself from one that is replaced', () => {
    const c = new ByteCache(100);
    const same = put(c, 'u-0123456789ab', 'u-0123456789ab');
    const other = put(c, 'carol', 'u-0123456789ab');
    expect(c.isIdentity(same)).toBe(true);
    expect(c.isIdentity(other)).toBe(false);
    expect(c.valueLength(other)).toBe(14);
  });

  it('forgets everything when full, keeps working, and never holds more than its capacity', () => {
    const c = new ByteCache(10);
    for (let i = 0; i < 1000; i++) put(c, `user${i}`, `v${i}`);
    expect(valueOf(c, 'user999')).toBe('v999');
    expect(valueOf(c, 'user0')).toBeUndefined();
    let kept = 0;
    for (let i = 0; i < 1000; i++) if (valueOf(c, `user${i}`) !== undefined) kept++;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(10);
  });

  it('grows its table as it fills and still finds every key', () => {
    const c = new ByteCache(50_000);
    for (let i = 0; i < 20_000; i++) put(c, `user${i}@example.org`, `u-${i}`);
    for (const i of [0, 1, 2047, 2048, 4095, 9999, 19_999])
      expect(valueOf(c, `user${i}@example.org`)).toBe(`u-${i}`);
    expect(valueOf(c, 'user20000@example.org')).toBeUndefined();
  });

  it('refuses a pair larger than its arena instead of overflowing it', () => {
    const c = new ByteCache(2, 8);
    expect(put(c, 'a'.repeat(20), 'b')).toBe(-1);
    expect(valueOf(c, 'a'.repeat(20))).toBeUndefined();
    expect(put(c, 'k', 'v')).toBeGreaterThanOrEqual(0);
  });
});
