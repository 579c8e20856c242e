import { readFileSync } from 'node:fs';
import type { ReadScratch } from '../sources/read-file.js';

/** Bytes readable past the end of the searched bytes (the SIMD loop loads 16 at a time). */
const SLACK = 64;
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

/**
 * Tells whether any of a set of ASCII needles occurs in bytes, ignoring ASCII case, at memory
 * speed and without making a string (see fold-search.wat). The answer is a superset: "yes" may be
 * wrong for bytes outside printable ASCII, "no" never is.
 *
 * Bytes read into `scratch` (which lives in the module's memory) are searched where they are;
 * other buffers are copied in first.
 */
export class FoldSearch {
  readonly scratch: ReadScratch;
  private readonly wasm: Exports;
  private readonly needles: { at: number; len: number }[] = [];
  private readonly dataAt: number;

  constructor(needles: readonly string[]) {
    for (const n of needles)
      if (!/^[\x20-\x7e]+$/.test(n)) throw new Error('FoldSearch needles must be printable ASCII');
    this.wasm = new wasm.Instance(wasmModule()).exports as unknown as Exports;
    let at = 0;
    const folded = needles.map((n) => Buffer.from(n.toLowerCase(), 'latin1').map((b) => b | 0x20));
    for (const f of folded) {
      this.needles.push({ at, len: f.length });
      at += f.length;
    }
    this.dataAt = Math.ceil((at + 1) / 16) * 16;
    this.ensure(PAGE - this.dataAt - SLACK);
    const mem = new Uint8Array(this.wasm.memory.buffer);
    folded.forEach((f, i) => mem.set(f, (this.needles[i] as { at: number }).at));
    const scratch: ReadScratch = { buf: this.view(), resize: (size) => this.ensure(size) };
    this.scratch = scratch;
  }

  /** Whether any needle may occur in `bytes` (ASCII case ignored). */
  any(bytes: Buffer): boolean {
    const memory = this.wasm.memory;
    let hay = bytes.byteOffset;
    if (bytes.buffer !== memory.buffer) {
      this.ensure(bytes.length);
      new Uint8Array(memory.buffer).set(bytes, this.dataAt);
      hay = this.dataAt;
    }
    for (const n of this.needles) if (this.wasm.find(hay, bytes.length, n.at, n.len) >= 0) return true;
    return false;
  }

  /** Makes room for `size` bytes of data; the scratch buffer is renewed when memory grows. */
  private ensure(size: number): void {
    const memory = this.wasm.memory;
    const need = this.dataAt + size + SLACK;
    if (need > memory.buffer.byteLength) {
      // Grow by at least half again, so a run of ever larger messages grows it a few times only.
      const pages = Math.ceil(Math.max(need, memory.buffer.byteLength * 1.5) / PAGE);
      memory.grow(pages - memory.buffer.byteLength / PAGE);
    }
    if (this.scratch && this.scratch.buf.buffer !== memory.buffer) this.scratch.buf = this.view();
  }

  private view(): Buffer {
    const memory = this.wasm.memory;
    return Buffer.from(memory.buffer, this.dataAt, memory.buffer.byteLength - this.dataAt - SLACK);
  }
}
