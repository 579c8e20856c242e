import { LOG_ANON_CACHE_ENTRIES } from '../../core/limits.js';
import { viewOf, type OutBuffer } from './out-buffer.js';

// Each slot is four int32s: the key's hash, its arena offset + 1 (0: empty), key length, and the value
// length with IDENTITY set when the value is the key itself (worked out once, when it is stored).
const SLOT = 4;
const IDENTITY = 1 << 30;
const LENGTH = IDENTITY - 1;
const INITIAL_SLOTS = 4096;

/**
 * A cache keyed by a byte range of a Buffer, so a hit costs a hash over the bytes and one compare:
 * no string is made for values seen before (most addresses and user names in a log repeat).
 *
 * The cost of a lookup is memory latency, not arithmetic: tens of thousands of keys are hit in
 * random order. So a slot holds the key's full hash and lengths (most probes end on that one cache
 * line), and the value's bytes sit right after the key's in one arena, so a hit that compares the key
 * has already fetched the bytes it then copies out. Open addressing over a power-of-two table that
 * starts small and doubles while it fills (a few thousand keys then share a few cache lines' worth of
 * L2, not a table sized for the worst case); at capacity everything is forgotten, which keeps memory
 * bounded and lets the values that matter come straight back. An entry handle is valid until the next
 * `set`.
 */
export class ByteCache {
  private mask: number;
  private slots: Int32Array;
  private readonly maxSlots: number;
  private readonly arena: Buffer;
  private readonly arenaView: DataView;
  private readonly capacity: number;
  private used = 0;
  private count = 0;

  constructor(entries = LOG_ANON_CACHE_ENTRIES, bytesPerEntry = 64) {
    let size = 1024;
    while (size < entries * 2) size *= 2;
    this.maxSlots = size;
    const first = Math.min(size, INITIAL_SLOTS);
    this.mask = first - 1;
    this.slots = new Int32Array(first * SLOT);
    this.arena = Buffer.allocUnsafe(entries * bytesPerEntry);
    this.arenaView = viewOf(this.arena);
    this.capacity = entries;
  }

  /** The entry for b[s, e) (pass it to the methods below), or -1. */
  find(b: Buffer, s: number, e: number): number {
    const len = e - s;
    const h = hashBytes(b, s, e);
    const t = this.slots;
    const a = this.arena;
    let slot = h & this.mask;
    for (;;) {
      const p = slot * SLOT;
      const off = t[p + 1]! - 1;
      if (off < 0) return -1;
      if (t[p] === h && t[p + 2] === len) {
        let i = 0;
        while (i < len && a[off + i] === b[s + i]) i++;
        if (i === len) return p;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Appends the value of entry p to out. */
  writeValue(p: number, out: OutBuffer): void {
    const off = this.slots[p + 1]! - 1 + this.slots[p + 2]!;
    out.copyFrom(this.arenaView, this.arena, off, off + (this.slots[p + 3]! & LENGTH));
  }

  /** Whether entry p maps its key to itself (the input already was what we would write). */
  isIdentity(p: number): boolean {
    return (this.slots[p + 3]! & IDENTITY) !== 0;
  }

  valueLength(p: number): number {
    return this.slots[p + 3]! & LENGTH;
  }

  /** Remembers `value` (latin1) for b[s, e); returns the entry, or -1 when the pair is too big to keep. */
  set(b: Buffer, s: number, e: number, value: string): number {
    const len = e - s;
    const need = len + value.length;
    if (need > this.arena.length) return -1;
    if (this.count >= this.capacity || this.used + need > this.arena.length) this.clear();
    else if ((this.count + 1) * 2 > this.mask + 1 && this.mask + 1 < this.maxSlots) this.grow();
    const off = this.used;
    b.copy(this.arena, off, s, e);
    this.arena.write(value, off + len, 'latin1');
    this.used += need;
    this.count++;
    const h = hashBytes(b, s, e);
    const t = this.slots;
    let slot = h & this.mask;
    while (t[slot * SLOT + 1] !== 0) slot = (slot + 1) & this.mask;
    const p = slot * SLOT;
    t[p] = h;
    t[p + 1] = off + 1;
    t[p + 2] = len;
    const same =
      value.length === len && this.arena.compare(this.arena, off, off + len, off + len, off + 2 * len) === 0;
    t[p + 3] = value.length | (same ? IDENTITY : 0);
    return p;
  }

  /** Doubles the table; slots keep their keys' hashes, so nothing is hashed again. */
  private grow(): void {
    const old = this.slots;
    const size = (this.mask + 1) * 2;
    const t = new Int32Array(size * SLOT);
    const mask = size - 1;
    for (let p = 0; p < old.length; p += SLOT) {
      if (old[p + 1] === 0) continue;
      let slot = old[p]! & mask;
      while (t[slot * SLOT + 1] !== 0) slot = (slot + 1) & mask;
      t.set(old.subarray(p, p + SLOT), slot * SLOT);
    }
    this.slots = t;
    this.mask = mask;
  }

  private clear(): void {
    this.slots.fill(0);
    this.used = 0;
    this.count = 0;
  }
}

/** FNV-1a over bytes (32 bits, as a signed int to match Int32Array): cheap, and spreads log tokens well. */
function hashBytes(b: Buffer, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h | 0;
}
