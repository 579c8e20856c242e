import { readFileSync } from 'node:fs';
import type { ReadScratch } from '../sources/read-file.js';

/** Bytes readable past the end of the searched bytes (the SIMD loop reads up to 64 past it). */
const SLACK = 128;
const PAGE = 65536;

/** The parts of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  find(hay: number, len: number, needle: number, needleLen: number): number;
}

let compiled: object | undefined;

/** fold-search.wat, assembled (npm run build:wasm); compiled once per thread. */
function wasmModule(): object {
  compiled ??= new wasm.Module(readFileSync(new URL('./fold-search.wasm', import.meta.url)));
  return compiled;
}

/** Room for bytes from outside the module's memory, searched a window at a time. */
const WINDOW = 64 * 1024;
/** The read buffer to start with: most messages are smaller. */
const INITIAL_SCRATCH = 128 * 1024;

/**
 * Tells whether any of a set of ASCII needles occurs in bytes, ignoring ASCII case, at memory
 * speed and without making a string (see fold-search.wat). The answer is a superset: "yes" may be
 * wrong for bytes outside printable ASCII, "no" never is.
 *
 * Bytes read into `scratch` (which lives in the module's memory) are searched where they are;
 * other bytes are copied in a window at a time. Memory layout: needles, the window, then the
 * scratch buffer, which alone grows (only when a read needs it, when no view of it is in use:
 * growing the memory detaches every view of it).
 */
export class FoldSearch {
  readonly scratch: ReadScratch;
  private readonly wasm: Exports;
  private readonly needles: { at: number; len: number }[] = [];
  private readonly windowAt: number;
  private readonly scratchAt: number;
  private readonly longest: number;

  constructor(needles: readonly string[]) {
    for (const n of needles)
      if (!/^[\x20-\x7e]+$/.test(n)) throw new Error('FoldSearch needles must be printable ASCII');
    this.wasm = new wasm.Instance(wasmModule()).exports as unknown as Exports;
    const folded = needles.map((n) => Buffer.from(n.toLowerCase(), 'latin1').map((b) => b | 0x20));
    let at = 0;
    for (const f of folded) {
      this.needles.push({ at, len: f.length });
      at += f.length;
    }
    this.longest = Math.max(1, ...folded.map((f) => f.length));
    this.windowAt = align(at);
    this.scratchAt = align(this.windowAt + WINDOW + SLACK);
    this.grow(this.scratchAt + INITIAL_SCRATCH + SLACK);
    const mem = new Uint8Array(this.wasm.memory.buffer);
    folded.forEach((f, i) => mem.set(f, (this.needles[i] as { at: number }).at));
    this.scratch = { buf: this.view(), resize: (size) => this.resize(size) };
  }

  /** Whether any needle may occur in `bytes` (ASCII case ignored). Never grows the memory. */
  any(bytes: Buffer): boolean {
    if (bytes.buffer === this.wasm.memory.buffer) return this.found(bytes.byteOffset, bytes.length);
    // Windows overlap by a needle's length less one, so no occurrence falls between two.
    const step = WINDOW - this.longest + 1;
    const mem = new Uint8Array(this.wasm.memory.buffer);
    for (let off = 0; off < bytes.length; off += step) {
      const part = bytes.subarray(off, off + WINDOW);
      mem.set(part, this.windowAt);
      if (this.found(this.windowAt, part.length)) return true;
      if (off + WINDOW >= bytes.length) break;
    }
    return false;
  }

  private found(at: number, len: number): boolean {
    for (const n of this.needles) if (this.wasm.find(at, len, n.at, n.len) >= 0) return true;
    return false;
  }

  /** Makes the scratch buffer hold `size` bytes; a new view replaces the old one. */
  private resize(size: number): void {
    this.grow(this.scratchAt + size + SLACK);
    this.scratch.buf = this.view();
  }

  private grow(bytes: number): void {
    const memory = this.wasm.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    // By at least half again, so a run of ever larger messages grows it a few times only.
    memory.grow(Math.ceil(Math.max(bytes, have * 1.5) / PAGE) - have / PAGE);
  }

  private view(): Buffer {
    const memory = this.wasm.memory;
    return Buffer.from(memory.buffer, this.scratchAt, memory.buffer.byteLength - this.scratchAt - SLACK);
  }
}

const align = (n: number): number => Math.ceil((n + 1) / 16) * 16;
