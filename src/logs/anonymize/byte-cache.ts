import { LOG_ANON_CACHE_ENTRIES } from '../../core/limits.js';

/**
 * A cache keyed by a byte range of a Buffer, so a hit costs a hash over the bytes and one compare:
 * no string is made for values seen before (most addresses and user names in a log repeat). Open
 * addressing over a power-of-two table; when it is half full everything is forgotten, which keeps
 * memory bounded and lets the values that matter come straight back.
 */
export class ByteCache {
  private readonly mask: number;
  private table: Int32Array;
  private keys: Buffer[] = [];
  private values: string[] = [];
  private arena: Buffer;
  private used = 0;

  constructor(entries = LOG_ANON_CACHE_ENTRIES) {
    let size = 1024;
    while (size < entries * 2) size *= 2;
    this.mask = size - 1;
    this.table = new Int32Array(size);
    this.arena = Buffer.allocUnsafe(entries * 32);
  }

  /** The cached value for b[s, e), or undefined. */
  get(b: Buffer, s: number, e: number): string | undefined {
    const len = e - s;
    let slot = hashBytes(b, s, e) & this.mask;
    for (;;) {
      const idx = this.table[slot]! - 1;
      if (idx < 0) return undefined;
      const k = this.keys[idx]!;
      if (k.length === len) {
        let i = 0;
        while (i < len && k[i] === b[s + i]) i++;
        if (i === len) return this.values[idx];
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Remembers `value` for b[s, e). */
  set(b: Buffer, s: number, e: number, value: string): void {
    const len = e - s;
    if (this.keys.length * 2 >= this.mask || this.used + len > this.arena.length) this.clear();
    if (len > this.arena.length) return;
    const key = this.arena.subarray(this.used, this.used + len);
    b.copy(key, 0, s, e);
    this.used += len;
    let slot = hashBytes(b, s, e) & this.mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
    this.keys.push(key);
    this.values.push(value);
    this.table[slot] = this.keys.length;
  }

  private clear(): void {
    this.table.fill(0);
    this.keys = [];
    this.values = [];
    this.used = 0;
  }
}

/** FNV-1a over bytes (32 bits): cheap, and good enough to spread log tokens over the table. */
function hashBytes(b: Buffer, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}
