import libmime from 'libmime';
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { DSAR_MAX_MIME_DEPTH, DSAR_MAX_MIME_PARTS } from '../../core/limits.js';
import { decodeValue, findHeaderEnd, parseHeaderBlock } from '../../message/header-fields.js';
import type { IdentityMatcher } from '../identity.js';
import type { Hit, HitPlace } from '../types.js';
import type { FoldSearch } from './fold-search.js';

/** Header fields that carry addresses of people (where a display name is a name, too). */
const ADDRESS_FIELDS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'sender',
  'return-path',
  'delivered-to',
  'x-original-to',
  'envelope-to',
  'resent-from',
  'resent-to',
  'resent-cc',
  'resent-bcc',
  'resent-sender',
  'disposition-notification-to',
  'x-envelope-from',
  'x-envelope-to',
  'original-recipient',
  'final-recipient',
]);

/** What a search of one message found. */
export interface MessageScan {
  hits: Hit[];
  messageId?: string;
  date?: string;
  subject?: string;
  /** Domains of the other addresses in From/To/Cc/Bcc/Reply-To (lowercase). */
  counterpartDomains: string[];
  /** Parts that could not be searched (depth or count limits, undecodable charset). */
  problems: string[];
}

interface Ctx {
  id: IdentityMatcher;
  hits: Map<string, Hit>;
  parts: number;
  problems: string[];
  top?: MessageScan;
  domains: Set<string>;
  needles?: FoldSearch;
}

/**
 * Searches one message (raw bytes): every header, every decoded text part, every attachment name.
 * `needles` (the pre-filter's, when every needle of the subject is ASCII) lets a part that is its
 * own bytes as text, and holds no needle, be passed over without making it a string.
 */
export function scanMessage(raw: Buffer, id: IdentityMatcher, needles?: FoldSearch): MessageScan {
  const scan: MessageScan = { hits: [], counterpartDomains: [], problems: [] };
  const ctx: Ctx = { id, hits: new Map(), parts: 0, problems: scan.problems, top: scan, domains: new Set() };
  if (needles) ctx.needles = needles;
  walkEntity(raw, '1', 0, ctx, true);
  scan.hits = [...ctx.hits.values()];
  const own = new Set(id.subject.addresses.map((a) => a.slice(a.lastIndexOf('@') + 1).toLowerCase()));
  scan.counterpartDomains = [...ctx.domains].filter((d) => !own.has(d)).sort();
  return scan;
}

function addHits(ctx: Ctx, text: string, place: HitPlace, names: boolean): void {
  for (const index of ctx.id.addresses(text)) {
    const hit: Hit = { place, by: 'address', index };
    ctx.hits.set(JSON.stringify(hit), hit);
  }
  if (!names) return;
  for (const index of ctx.id.names(text)) {
    const hit: Hit = { place, by: 'name', index };
    ctx.hits.set(JSON.stringify(hit), hit);
  }
}

interface Entity {
  type: string;
  params: Record<string, string>;
  encoding: string;
  filename?: string;
}

function walkEntity(buf: Buffer, part: string, depth: number, ctx: Ctx, message: boolean): void {
  if (++ctx.parts > DSAR_MAX_MIME_PARTS) {
    if (ctx.parts === DSAR_MAX_MIME_PARTS + 1) ctx.problems.push(`more than ${DSAR_MAX_MIME_PARTS} parts`);
    return;
  }
  const end = findHeaderEnd(buf);
  const headerText = (end < 0 ? buf : buf.subarray(0, end)).toString('latin1');
  const body = end < 0 ? Buffer.alloc(0) : buf.subarray(end);
  const { fields } = parseHeaderBlock(headerText);
  const entity: Entity = { type: 'text/plain', params: {}, encoding: '7bit' };
  const top = ctx.top;
  for (const f of fields) {
    if (f.name === '') continue;
    const name = f.name.toLowerCase();
    const value = decodeValue(f.value);
    if (message) {
      const field = part === '1' ? f.name : `${part}:${f.name}`;
      addHits(ctx, value, { where: 'header', field }, ADDRESS_FIELDS.has(name) || name === 'subject');
      if (top && part === '1') {
        if (name === 'message-id') top.messageId ??= value;
        else if (name === 'date') top.date ??= value;
        else if (name === 'subject') top.subject ??= value;
      }
      if (ADDRESS_FIELDS.has(name) && name !== 'return-path' && name !== 'delivered-to')
        for (const m of value.matchAll(/@([\p{L}\p{N}.-]+\.[\p{L}]{2,})/gu))
          ctx.domains.add((m[1] as string).toLowerCase());
    }
    if (name === 'content-type') {
      const p = libmime.parseHeaderValue(value);
      entity.type = p.value.toLowerCase() || 'text/plain';
      entity.params = p.params;
    } else if (name === 'content-transfer-encoding') entity.encoding = value.toLowerCase().trim();
    else if (name === 'content-disposition') {
      const p = libmime.parseHeaderValue(value);
      if (p.params.filename) entity.filename = p.params.filename;
    }
  }
  // Top-level message without MIME headers stays text/plain; a part's own parts default too.
  entity.filename ??= entity.params.name;
  if (entity.filename) {
    const fname = decodeValue(entity.filename);
    addHits(ctx, fname, { where: 'attachment-name', part }, true);
  }
  if (depth >= DSAR_MAX_MIME_DEPTH) {
    ctx.problems.push(`part ${part}: nested deeper than ${DSAR_MAX_MIME_DEPTH}`);
    return;
  }
  if (entity.type.startsWith('multipart/') && entity.params.boundary) {
    splitMultipart(body, entity.params.boundary).forEach((child, i) =>
      walkEntity(child, `${part}.${i + 1}`, depth + 1, ctx, false),
    );
    return;
  }
  const decoded = decodeBody(body, entity.encoding);
  if (entity.type === 'message/rfc822' || entity.type === 'message/global') {
    walkEntity(decoded, `${part}.1`, depth + 1, ctx, true);
    return;
  }
  if (ctx.needles && isOwnBytes(decoded, entity) && !ctx.needles.any(decoded)) return;
  const text = toText(decoded, entity, ctx, part);
  addHits(ctx, text, { where: 'body', part, encoding: entity.encoding }, isText(entity.type));
}

/**
 * Whether toText gives the part's bytes one character per byte, with no character the matchers
 * could fold or normalise into an ASCII one: binary parts and Latin-1 text (read as Latin-1, whose
 * characters never fold to ASCII), and ASCII bytes in UTF-8 or ASCII. Then a needle that is not in
 * the bytes, ASCII case ignored, is not in the text. Other charsets go the long way (and an
 * unknown one is reported there).
 */
function isOwnBytes(decoded: Buffer, entity: Entity): boolean {
  if (!isText(entity.type)) return true;
  const cs = (entity.params.charset ?? 'utf-8').toLowerCase().trim();
  if (cs === 'iso-8859-1' || cs === 'latin1') return true;
  return (cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii' || cs === 'ascii') && isAscii(decoded);
}

function isText(type: string): boolean {
  return type.startsWith('text/') || type.startsWith('message/');
}

/** The parts of a multipart body (preamble and epilogue dropped). Tolerates a missing close delimiter. */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const starts: number[] = [];
  let i = 0;
  for (;;) {
    const at = body.indexOf(delim, i);
    if (at < 0) break;
    const lineStart = at === 0 || body[at - 1] === 0x0a;
    i = at + delim.length;
    if (!lineStart) continue;
    starts.push(at);
    if (body[i] === 0x2d && body[i + 1] === 0x2d) break; // close delimiter
  }
  const out: Buffer[] = [];
  for (let k = 0; k + 1 <= starts.length; k++) {
    const s = starts[k] as number;
    const next = starts[k + 1];
    if (body[s + delim.length] === 0x2d && body[s + delim.length + 1] === 0x2d) break;
    const nl = body.indexOf(0x0a, s);
    if (nl < 0) break;
    let e = next ?? body.length;
    // The line break before a delimiter belongs to the delimiter.
    if (next !== undefined && body[e - 1] === 0x0a) e -= body[e - 2] === 0x0d ? 2 : 1;
    out.push(body.subarray(nl + 1, Math.max(nl + 1, e)));
  }
  return out;
}

/** Undoes a Content-Transfer-Encoding; unknown encodings are searched as they are. */
export function decodeBody(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1'), 'base64');
  if (encoding === 'quoted-printable') return decodeQp(body);
  return body;
}

function decodeQp(body: Buffer): Buffer {
  const s = body
    .toString('latin1')
    .replace(/=[ \t]*\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(s, 'latin1');
}

const decoders = new Map<string, TextDecoder | null>();

function toText(decoded: Buffer, entity: Entity, ctx: Ctx, part: string): string {
  if (!isText(entity.type)) return decoded.toString('latin1'); // binary: ASCII addresses still show
  const cs = (entity.params.charset ?? 'utf-8').toLowerCase().trim();
  if (cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii' || cs === 'ascii') return decoded.toString('utf8');
  if (cs === 'iso-8859-1' || cs === 'latin1') return decoded.toString('latin1');
  let dec = decoders.get(cs);
  if (dec === undefined) {
    try {
      dec = new TextDecoder(cs);
    } catch {
      dec = null;
    }
    decoders.set(cs, dec);
  }
  if (dec === null) {
    ctx.problems.push(`part ${part}: unknown charset, searched as UTF-8`);
    return decoded.toString('utf8');
  }
  return dec.decode(decoded);
}
