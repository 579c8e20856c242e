import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FrameDecoder,
  MilterProtocolError,
  encodeConnect,
  encodeCstrings,
  encodeIndexedHeader,
  encodeOptNeg,
  encodePacket,
  parseConnect,
  parseHeader,
  parseIndexedHeader,
  parseMacros,
  parseOptNeg,
  type Packet,
} from './codec.js';
import { Cmd, Reply } from './protocol.js';

const packetArb = fc.record({
  cmd: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

/** Splits a buffer at the given (sorted, deduplicated) offsets. */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('FrameDecoder', () => {
  it('decodes any packet sequence however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (packets, cuts) => {
          const wire = Buffer.concat(packets.map((p) => encodePacket(p.cmd, p.data)));
          const d = new FrameDecoder();
          const got: Packet[] = [];
          for (const piece of splitAt(wire, cuts)) got.push(...d.push(piece));
          expect(got.map((p) => ({ cmd: p.cmd, data: Buffer.from(p.data) }))).toEqual(packets);
          expect(d.buffered).toBe(0);
        },
      ),
    );
  });

  it('rejects zero and oversized lengths, and only ever throws MilterProtocolError', () => {
    expect(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 0, 0x41]))).toThrow(MilterProtocolError);
    expect(() => new FrameDecoder(100).push(Buffer.from([0, 0, 0, 101]))).toThrow(/length 101/);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const d = new FrameDecoder(1000);
        try {
          for (const c of chunks) d.push(Buffer.from(c));
        } catch (err) {
          expect(err).toBeInstanceOf(MilterProtocolError);
        }
      }),
    );
  });

  it('holds a partial packet until the rest arrives', () => {
    const d = new FrameDecoder();
    const wire = encodePacket(Cmd.HEADER, encodeCstrings(['Subject', ' hi']));
    expect(d.push(wire.subarray(0, 3))).toEqual([]);
    expect(d.push(wire.subarray(3, 9))).toEqual([]);
    expect(d.buffered).toBe(9);
    const [p] = d.push(wire.subarray(9));
    expect(p?.cmd).toBe(Cmd.HEADER);
    expect(parseHeader(p!.data)).toEqual({ name: 'Subject', value: ' hi' });
  });
});

describe('payload parsers', () => {
  it('round-trips connect data for every family', () => {
    const info = fc.record({
      hostname: fc.string({ unit: 'binary-ascii' }).filter((s) => !s.includes('\0')),
      family: fc.constantFrom('4', '6', 'L'),
      port: fc.integer({ min: 0, max: 65535 }),
      address: fc.string({ unit: 'binary-ascii' }).filter((s) => !s.includes('\0')),
    });
    fc.assert(
      fc.property(info, (c) => {
        expect(parseConnect(encodeConnect(c))).toEqual(c);
      }),
    );
    expect(parseConnect(encodeConnect({ hostname: 'x', family: 'U' }))).toEqual({
      hostname: 'x',
      family: 'U',
    });
  });

  it('keeps 8-bit header bytes exactly', () => {
    const raw = Buffer.from([0x53, 0x00, 0x20, 0xc3, 0xa9, 0xff, 0x00]);
    const h = parseHeader(raw);
    expect(Buffer.from(h.value, 'latin1')).toEqual(Buffer.from([0x20, 0xc3, 0xa9, 0xff]));
    expect(encodeCstrings([h.name, h.value])).toEqual(raw);
  });

  it('parses macros and drops an odd trailing name', () => {
    const data = Buffer.concat([
      Buffer.from([Cmd.MAIL]),
      encodeCstrings(['{auth_authen}', 'u', 'i', 'ABC', 'odd']),
    ]);
    expect(parseMacros(data)).toEqual({
      stage: Cmd.MAIL,
      macros: [
        ['{auth_authen}', 'u'],
        ['i', 'ABC'],
      ],
    });
  });

  it('round-trips option negotiation and indexed headers', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (version, actions, protocol) => {
        const wire = encodeOptNeg({ version, actions, protocol });
        expect(wire[4]).toBe(Reply.OPTNEG);
        expect(parseOptNeg(wire.subarray(5))).toEqual({ version, actions, protocol });
      }),
    );
    const w = encodeIndexedHeader(Reply.CHGHEADER, 3, 'Received', ' from x');
    expect(parseIndexedHeader(w.subarray(5))).toEqual({ index: 3, name: 'Received', value: ' from x' });
  });

  it('throws only MilterProtocolError on arbitrary payloads', () => {
    const parsers = [parseConnect, parseHeader, parseMacros, parseOptNeg, parseIndexedHeader];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        for (const parse of parsers) {
          try {
            parse(Buffer.from(bytes));
          } catch (err) {
            expect(err).toBeInstanceOf(MilterProtocolError);
          }
        }
      }),
    );
    expect(() => parseHeader(encodeCstrings(['only-name']))).toThrow(MilterProtocolError);
    expect(() => parseHeader(Buffer.from('Subject\0no terminator'))).toThrow(/NUL/);
    expect(() => parseOptNeg(Buffer.alloc(11))).toThrow(MilterProtocolError);
  });
});
