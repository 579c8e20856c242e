import { BOUNCE_MAX_MIME_DEPTH, BOUNCE_MAX_MIME_PARTS } from '../../core/limits.js';
import { header, parseHeaderBlock, parseStructured, type HeaderField } from './headers.js';

/** One MIME entity. Bodies stay raw (latin1, one char per byte) until a caller asks for text. */
export interface MimePart {
  headers: HeaderField[];
  /** Lower-case `type/subtype`; `text/plain` when absent or unreadable (RFC 2045 §5.2). */
  type: string;
  params: Record<string, string>;
  /** Raw body after the header block, transfer encoding not undone. */
  body: string;
  /** Sub-parts of a multipart, or the one message inside message/rfc822. */
  children: MimePart[];
  depth: number;
  /** False when the header block never ended (header-only or truncated entity). */
  terminated: boolean;
}

/** A whole parsed message and whatever was wrong with its structure. */
export interface ParsedMessage {
  root: MimePart;
  problems: string[];
}

const EMBEDDED = new Set(['message/rfc822', 'message/global', 'text/rfc822']);

/** Parses a raw message (latin1 string) into a MIME tree; never throws, limits depth and part count. */
export function parseMessage(raw: string): ParsedMessage {
  const problems = new Set<string>();
  const state = { parts: 0, problems };
  if (raw.includes('\0')) problems.add('the message contains NUL bytes');
  const root = parseEntity(raw, 0, state);
  return { root, problems: [...problems] };
}

interface State {
  parts: number;
  problems: Set<string>;
}

function parseEntity(raw: string, depth: number, state: State): MimePart {
  state.parts++;
  const block = parseHeaderBlock(raw);
  for (const p of block.problems) state.problems.add(p);
  const ct = parseStructured(header(block.fields, 'content-type') ?? 'text/plain');
  const type = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.value) ? ct.value : 'text/plain';
  const part: MimePart = {
    headers: block.fields,
    type,
    params: ct.params,
    body: raw.slice(block.bodyStart),
    children: [],
    depth,
    terminated: block.terminated,
  };
  if (!block.terminated) {
    state.problems.add(
      depth === 0
        ? 'header only: no blank line ends the header, so there is no body'
        : 'a MIME part is truncated inside its header',
    );
    return part;
  }
  const wantsChildren = type.startsWith('multipart/') || EMBEDDED.has(type);
  if (!wantsChildren) return part;
  if (depth + 1 > BOUNCE_MAX_MIME_DEPTH) {
    state.problems.add(`MIME nesting deeper than ${BOUNCE_MAX_MIME_DEPTH} levels: inner parts not read`);
    return part;
  }
  if (type.startsWith('multipart/')) {
    const boundary = part.params.boundary;
    if (!boundary) {
      state.problems.add('a multipart part has no boundary parameter');
      return part;
    }
    const split = splitMultipart(part.body, boundary);
    if (!split.found) state.problems.add('a multipart boundary never appears in the body');
    else if (!split.closed) state.problems.add('a multipart part is not closed (truncated message?)');
    for (const chunk of split.parts) {
      if (state.parts >= BOUNCE_MAX_MIME_PARTS) {
        state.problems.add(`more than ${BOUNCE_MAX_MIME_PARTS} MIME parts: the rest not read`);
        break;
      }
      part.children.push(parseEntity(chunk, depth + 1, state));
    }
  } else if (state.parts < BOUNCE_MAX_MIME_PARTS) {
    part.children.push(parseEntity(decodeTransfer(part), depth + 1, state));
  }
  return part;
}

/** Splits a multipart body on `--boundary` lines (RFC 2046 §5.1.1); tolerant of a missing close. */
export function splitMultipart(
  body: string,
  boundary: string,
): { parts: string[]; found: boolean; closed: boolean } {
  const delim = '--' + boundary;
  const next = (from: number): number => {
    const at = body.indexOf('\n' + delim, from);
    return at === -1 ? -1 : at + 1;
  };
  const marks: { lineStart: number; contentStart: number; close: boolean }[] = [];
  let d = body.startsWith(delim) ? 0 : next(0);
  while (d !== -1) {
    const after = d + delim.length;
    const close = body.startsWith('--', after);
    const eol = body.indexOf('\n', after);
    const lineEnd = eol === -1 ? body.length : eol;
    // A longer boundary that merely starts with ours is not a delimiter.
    if (close || /^[ \t\r]*$/.test(body.slice(after, lineEnd))) {
      marks.push({ lineStart: d, contentStart: eol === -1 ? body.length : eol + 1, close });
      if (close) break;
    }
    d = next(after);
  }
  const parts: string[] = [];
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i] as (typeof marks)[number];
    if (m.close) break;
    const following = marks[i + 1];
    // The line break before a delimiter belongs to the delimiter.
    let end = following ? following.lineStart - 1 : body.length;
    if (following && body[end - 1] === '\r') end--;
    parts.push(body.slice(m.contentStart, Math.max(m.contentStart, end)));
  }
  const last = marks[marks.length - 1];
  return { parts, found: marks.length > 0, closed: last?.close === true };
}

/** Undoes base64 or quoted-printable; other encodings pass through. Result is latin1 bytes. */
export function decodeTransfer(part: MimePart): string {
  const cte = (header(part.headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64') {
    return Buffer.from(part.body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1');
  }
  if (cte === 'quoted-printable') return decodeQuotedPrintable(part.body);
  return part.body;
}

/** RFC 2045 §6.7 quoted-printable, lenient: bad escapes stay as they are. */
export function decodeQuotedPrintable(s: string): string {
  return s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A leaf's content as text: transfer encoding undone, charset applied (UTF-8 when unknown). */
export function partText(part: MimePart): string {
  const bytes = Buffer.from(decodeTransfer(part), 'latin1');
  const charset = (part.params.charset ?? 'utf-8').trim().toLowerCase();
  let text: string;
  try {
    text = new TextDecoder(charset).decode(bytes);
  } catch {
    text = bytes.toString('utf8');
  }
  return text.replace(/\0/g, '');
}

/** Depth-first walk over every part, the root first. */
export function* walk(part: MimePart): Generator<MimePart> {
  const stack: MimePart[] = [part];
  while (stack.length > 0) {
    const p = stack.pop() as MimePart;
    yield p;
    for (let i = p.children.length - 1; i >= 0; i--) stack.push(p.children[i] as MimePart);
  }
}
