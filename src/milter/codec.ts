import { InputError } from '../core/errors.js';
import { MILTER_MAX_FRAME_BYTES } from '../core/limits.js';
import { Reply } from './protocol.js';

/** One milter packet: the command byte and its payload (a view into the received bytes). */
export interface Packet {
  cmd: number;
  data: Buffer;
}

/** A packet that cannot be decoded; the connection it came from cannot be trusted to stay in step. */
export class MilterProtocolError extends InputError {}

/**
 * Splits a byte stream into milter packets: a 4-byte big-endian length (covering the command byte
 * and the payload), the command byte, the payload. Lengths of 0 or above `maxFrame` are errors,
 * because no later byte could be trusted to start a packet.
 */
export class FrameDecoder {
  private pending: Buffer | undefined;
  constructor(private readonly maxFrame = MILTER_MAX_FRAME_BYTES) {}

  /** Bytes held back while waiting for the rest of a packet. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  /** Feeds received bytes; returns every packet they complete. Throws MilterProtocolError. */
  push(chunk: Buffer): Packet[] {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const out: Packet[] = [];
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (len === 0 || len > this.maxFrame) {
        throw new MilterProtocolError(`milter packet length ${len} outside 1..${this.maxFrame}`);
      }
      if (buf.length - at - 4 < len) break;
      out.push({ cmd: buf[at + 4] as number, data: buf.subarray(at + 5, at + 4 + len) });
      at += 4 + len;
    }
    if (at < buf.length) {
      // Copied so a small remainder does not pin a large socket chunk in memory.
      buf = buf.subarray(at);
      this.pending = at > 0 ? Buffer.from(buf) : buf;
    }
    return out;
  }
}

/** Encodes one packet. */
export function encodePacket(cmd: number, payload?: Buffer): Buffer {
  const len = 1 + (payload?.length ?? 0);
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32BE(len, 0);
  out[4] = cmd;
  if (payload) payload.copy(out, 5);
  return out;
}

/**
 * Splits a payload of NUL-terminated strings; a missing final NUL is an error. Text is latin1 so every
 * byte maps to one char and a header written back is byte-for-byte what came in (8-bit headers too).
 */
export function cstrings(data: Buffer, what: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(0, start);
    if (end < 0) throw new MilterProtocolError(`${what}: string without NUL terminator`);
    out.push(data.toString('latin1', start, end));
    start = end + 1;
  }
  return out;
}

/** Joins strings into a payload of NUL-terminated strings. */
export function encodeCstrings(parts: string[]): Buffer {
  return Buffer.from(parts.map((p) => `${p}\0`).join(''), 'latin1');
}

/** SMFIC_OPTNEG / SMFIR_OPTNEG body: version, actions, protocol flags (extra bytes are ignored). */
export interface OptNeg {
  version: number;
  actions: number;
  protocol: number;
}

export function parseOptNeg(data: Buffer): OptNeg {
  if (data.length < 12) throw new MilterProtocolError(`option negotiation of ${data.length} bytes (need 12)`);
  return { version: data.readUInt32BE(0), actions: data.readUInt32BE(4), protocol: data.readUInt32BE(8) };
}

export function encodeOptNeg(o: OptNeg, cmd: number = Reply.OPTNEG): Buffer {
  const b = Buffer.allocUnsafe(12);
  b.writeUInt32BE(o.version >>> 0, 0);
  b.writeUInt32BE(o.actions >>> 0, 4);
  b.writeUInt32BE(o.protocol >>> 0, 8);
  return encodePacket(cmd, b);
}

/** SMFIC_CONNECT body: host name, address family ('4', '6', 'L' unix, 'U' unknown), port, address. */
export interface ConnectInfo {
  hostname: string;
  family: string;
  port?: number;
  address?: string;
}

export function parseConnect(data: Buffer): ConnectInfo {
  const nul = data.indexOf(0);
  if (nul < 0 || nul + 1 >= data.length) throw new MilterProtocolError('connect: truncated');
  const hostname = data.toString('latin1', 0, nul);
  const family = String.fromCharCode(data[nul + 1] as number);
  if (family === 'U') return { hostname, family };
  if (data.length < nul + 4) throw new MilterProtocolError('connect: truncated port');
  const port = data.readUInt16BE(nul + 2);
  const [address] = cstrings(data.subarray(nul + 4), 'connect address');
  return { hostname, family, port, address: address ?? '' };
}

export function encodeConnect(c: ConnectInfo): Buffer {
  const head = Buffer.from(`${c.hostname}\0${c.family}`, 'latin1');
  if (c.family === 'U') return head;
  const port = Buffer.alloc(2);
  port.writeUInt16BE(c.port ?? 0, 0);
  return Buffer.concat([head, port, encodeCstrings([c.address ?? ''])]);
}

/** SMFIC_MACRO body: the command the macros belong to, then name/value pairs. */
export function parseMacros(data: Buffer): { stage: number; macros: Array<[string, string]> } {
  if (data.length < 1) throw new MilterProtocolError('macro: empty');
  const parts = cstrings(data.subarray(1), 'macro');
  const macros: Array<[string, string]> = [];
  // An odd trailing name without a value is dropped, as libmilter does.
  for (let i = 0; i + 1 < parts.length; i += 2) macros.push([parts[i] as string, parts[i + 1] as string]);
  return { stage: data[0] as number, macros };
}

/** SMFIC_HEADER body: name and value, each NUL-terminated. */
export function parseHeader(data: Buffer): { name: string; value: string } {
  const parts = cstrings(data, 'header');
  if (parts.length !== 2) throw new MilterProtocolError(`header: ${parts.length} strings (need 2)`);
  const [name, value] = parts as [string, string];
  if (name.length === 0) throw new MilterProtocolError('header: empty name');
  return { name, value };
}

/** SMFIR_CHGHEADER / SMFIR_INSHEADER: a 32-bit index, name, value. */
export function encodeIndexedHeader(cmd: number, index: number, name: string, value: string): Buffer {
  const idx = Buffer.allocUnsafe(4);
  idx.writeUInt32BE(index >>> 0, 0);
  return encodePacket(cmd, Buffer.concat([idx, encodeCstrings([name, value])]));
}

/** Reads a CHGHEADER/INSHEADER payload back (used by the test client and the benchmark). */
export function parseIndexedHeader(data: Buffer): { index: number; name: string; value: string } {
  if (data.length < 4) throw new MilterProtocolError('indexed header: truncated');
  const parts = cstrings(data.subarray(4), 'indexed header');
  if (parts.length !== 2) throw new MilterProtocolError('indexed header: need name and value');
  return { index: data.readUInt32BE(0), name: parts[0] as string, value: parts[1] as string };
}
