import libmime from 'libmime';
import { BOUNCE_MAX_HEADER_BYTES } from '../../core/limits.js';

/** One header field: lower-cased name, raw unfolded value (bytes as latin1) and its decoded text. */
export interface HeaderField {
  name: string;
  raw: string;
  value: string;
}

/** A parsed header block and where the body starts. */
export interface HeaderBlock {
  fields: HeaderField[];
  /** Offset of the first body character in the input, or the input length when there is no body. */
  bodyStart: number;
  /** False when no blank line ended the header (header-only or truncated input). */
  terminated: boolean;
  problems: string[];
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * Parses a header block from a latin1 string (one char per byte, so offsets are byte offsets).
 * Never throws: odd lines and over-long fields become `problems`.
 */
export function parseHeaderBlock(input: string, start = 0): HeaderBlock {
  const fields: HeaderField[] = [];
  const problems: string[] = [];
  let pos = start;
  let current: { name: string; parts: string[]; size: number } | undefined;
  let cut = false;
  let skipped = 0;
  const flush = (): void => {
    if (!current) return;
    const raw = current.parts.join('');
    fields.push({ name: current.name, raw, value: decodeValue(raw) });
    current = undefined;
  };
  // An mbox "From " separator may lead the first message of a file.
  if (input.startsWith('From ', pos)) pos = nextLine(input, pos);
  while (pos < input.length) {
    const end = input.indexOf('\n', pos);
    const lineEnd = end === -1 ? input.length : end;
    const next = end === -1 ? input.length : end + 1;
    let line = input.slice(pos, lineEnd);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      flush();
      return finish(fields, problems, next, true, cut, skipped);
    }
    if ((line[0] === ' ' || line[0] === '\t') && current) {
      if (current.size < BOUNCE_MAX_HEADER_BYTES) {
        const piece = line.slice(0, BOUNCE_MAX_HEADER_BYTES - current.size);
        current.parts.push(' ' + piece.trimStart());
        current.size += piece.length;
        if (piece.length < line.length) cut = true;
      }
    } else {
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
      if (colon <= 0 || !FIELD_NAME.test(name)) {
        // Not a header line: a body that starts without the blank line, as some broken MUAs write.
        if (fields.length > 0 || current) {
          flush();
          problems.push('a line that is not a header field ends the header without a blank line');
          return finish(fields, problems, pos, true, cut, skipped);
        }
        skipped++;
        if (skipped > 8) return finish(fields, problems, pos, false, cut, skipped);
      } else {
        flush();
        const full = line.slice(colon + 1).trimStart();
        const value = full.slice(0, BOUNCE_MAX_HEADER_BYTES);
        if (value.length < full.length) cut = true;
        current = { name: name.toLowerCase(), parts: [value], size: value.length };
      }
    }
    pos = next;
  }
  flush();
  return finish(fields, problems, input.length, false, cut, skipped);
}

function finish(
  fields: HeaderField[],
  problems: string[],
  bodyStart: number,
  terminated: boolean,
  cut: boolean,
  skipped: number,
): HeaderBlock {
  if (cut) problems.push(`a header field longer than ${BOUNCE_MAX_HEADER_BYTES} bytes was cut`);
  if (skipped > 0 && fields.length === 0) problems.push('the input does not start with header fields');
  return { fields, bodyStart, terminated, problems };
}

function nextLine(s: string, pos: number): number {
  const i = s.indexOf('\n', pos);
  return i === -1 ? s.length : i + 1;
}

/** Raw header bytes are taken as UTF-8 (RFC 6532), then RFC 2047 encoded words are decoded. */
export function decodeValue(raw: string): string {
  const text = Buffer.from(raw, 'latin1').toString('utf8').replace(/\0/g, '');
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** First field of that (lower-case) name, decoded. */
export function header(fields: readonly HeaderField[], name: string): string | undefined {
  return fields.find((f) => f.name === name)?.value;
}

/** Every field of that (lower-case) name, decoded, in order. */
export function headers(fields: readonly HeaderField[], name: string): string[] {
  return fields.filter((f) => f.name === name).map((f) => f.value);
}

/** A parsed structured value such as Content-Type: `type/subtype; a=b; c="d"`. */
export interface StructuredValue {
  value: string;
  params: Record<string, string>;
}

/** Parses `value; name=token; name="quoted"` tolerating junk; names lower-cased. */
export function parseStructured(input: string): StructuredValue {
  const semi = input.indexOf(';');
  const value = (semi === -1 ? input : input.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  if (semi === -1) return { value, params };
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))/g;
  for (const m of input.slice(semi).matchAll(re)) {
    const name = (m[1] ?? '').toLowerCase();
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    if (!(name in params)) params[name] = v;
  }
  return { value, params };
}
