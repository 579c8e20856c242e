import libmime from 'libmime';
import { MESSAGE_MAX_DECODED_FIELD_CHARS } from '../core/limits.js';

/**
 * One header field as it appears on the wire. `value` is everything after the colon, folding and
 * original bytes kept (decoded as latin1 so every byte maps to one char and round-trips exactly).
 * The parser reports a line that is not a field (an mbox `From ` line, garbage) with name `''` and
 * the whole line as value, so writing the list back reproduces the input.
 */
export interface HeaderField {
  name: string;
  value: string;
  /** Whitespace between the name and the colon (obsolete RFC 5322 §4.5 form), kept for round-trips. */
  gap?: string;
}

/** Result of splitting a header block: the fields in order, plus lines that were not fields. */
export interface ParsedHeaders {
  fields: HeaderField[];
  /** Short descriptions of malformed lines (no content: they may hold personal data). */
  problems: string[];
  /** The line ending seen first, used when new fields are written back. */
  eol: '\r\n' | '\n';
}

const LF = 0x0a;

/**
 * Finds where the header block ends: the offset just past the empty line (or -1 when `buf` holds
 * no complete header block yet). `from` lets streaming callers resume a search.
 */
export function findHeaderEnd(buf: Buffer, from = 0): number {
  let i = Math.max(0, from);
  // An empty first line means no headers at all.
  if (i === 0) {
    if (buf[0] === LF) return 1;
    if (buf[0] === 0x0d && buf[1] === LF) return 2;
  }
  for (;;) {
    const nl = buf.indexOf(LF, i);
    if (nl < 0 || nl + 1 >= buf.length) return -1;
    const next = buf[nl + 1];
    if (next === LF) return nl + 2;
    if (next === 0x0d) {
      if (nl + 2 >= buf.length) return -1;
      if (buf[nl + 2] === LF) return nl + 3;
    }
    i = nl + 1;
  }
}

/** Parses a header block (text as latin1, with or without the final empty line) into fields. */
export function parseHeaderBlock(text: string): ParsedHeaders {
  const fields: HeaderField[] = [];
  const problems: string[] = [];
  const firstNl = text.indexOf('\n');
  const eol = firstNl > 0 && text.charCodeAt(firstNl - 1) === 0x0d ? '\r\n' : '\n';
  let current: HeaderField | undefined;
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl + 1);
    pos = nl + 1;
    lineNo++;
    const bare = withoutEol(line);
    if (bare === '') break; // the empty line ends the block
    const c = bare.charCodeAt(0);
    if (c === 0x20 || c === 0x09) {
      if (current) current.value += line;
      else {
        problems.push(`line ${lineNo}: continuation line before any field`);
        fields.push({ name: '', value: line });
      }
      continue;
    }
    const colon = bare.indexOf(':');
    const name = colon > 0 ? bare.slice(0, colon).trimEnd() : '';
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
      // mbox "From " separators and garbage lines are not fields; keep going (Postfix does too).
      problems.push(`line ${lineNo}: not a header field`);
      // Kept verbatim (name '') so a sanitised message loses nothing it did not mean to remove.
      fields.push({ name: '', value: line });
      current = undefined;
      continue;
    }
    current = { name, value: line.slice(colon + 1) };
    if (name.length < colon) current.gap = bare.slice(name.length, colon);
    fields.push(current);
  }
  return { fields, problems, eol };
}

/** A line without its final LF or CRLF. */
function withoutEol(line: string): string {
  if (!line.endsWith('\n')) return line;
  return line.slice(0, line.endsWith('\r\n') ? -2 : -1);
}

/** Serialises fields back to wire form; values keep their own folding and line ending. */
export function serializeHeaders(fields: readonly HeaderField[], eol: string): string {
  let out = '';
  for (const f of fields) {
    out += f.name === '' ? f.value : `${f.name}${f.gap ?? ''}:${f.value}`;
    if (!f.value.endsWith('\n')) out += eol;
  }
  return out;
}

/** Removes folding (CRLF/LF followed by whitespace) and surrounding whitespace. */
export function unfold(value: string): string {
  // Most values are one line: nothing to unfold, and trim takes the line break too.
  const nl = value.indexOf('\n');
  if (nl < 0 || nl === value.length - 1) return value.trim();
  return value
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/\r?\n$/, '')
    .trim();
}

/**
 * The value a person would read: unfolded, UTF-8 bytes restored, RFC 2047 encoded words decoded.
 * Very long values are cut so hostile 1 MB lines cost bounded time in the matchers.
 */
export function decodeValue(value: string): string {
  let v = unfold(value);
  if (v.length > MESSAGE_MAX_DECODED_FIELD_CHARS) v = v.slice(0, MESSAGE_MAX_DECODED_FIELD_CHARS);
  // latin1 → bytes → UTF-8: raw 8-bit (RFC 6532) headers read as what the sender meant.
  // (A UTF-8 form longer than the text means a character beyond ASCII: faster than a regex.)
  if (Buffer.byteLength(v, 'utf8') !== v.length) v = Buffer.from(v, 'latin1').toString('utf8');
  if (v.includes('=?')) {
    try {
      v = libmime.decodeWords(v);
    } catch {
      // Broken encoded words stay as they are; the raw text is still matched.
    }
  }
  return v;
}
