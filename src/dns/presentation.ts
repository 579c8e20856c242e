import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { InputError } from '../core/errors.js';
import { nameProblem } from './name.js';
import type { DnsRecord, RecordDataMap, RRType } from './types.js';
import { isRRType, wireName } from './wire.js';

export { toPresentation } from './presentation-format.js';

/** TTL given to records that do not state one. */
export const DEFAULT_TTL = 300;

const MAX_TTL = 2 ** 31 - 1; // RFC 2181 §8
const UINT = /^\d{1,10}$/;
const HEX = /^(?:[0-9a-f]{2})+$/i;
// One definition of blank for skipping and for ending words, so no character is neither.
const SPACE = /\s/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

interface Token {
  text: string;
  quoted: boolean;
}

/** A line-level problem; the caller adds the line number. */
class LineError extends Error {}

/**
 * Parses zone-file-like text into records: one `NAME [TTL] [IN] TYPE RDATA` per line, `;`
 * comments, blank lines ignored, `$ORIGIN` and `$TTL` honoured. `@` is the origin, names without
 * a trailing dot are relative to it. Leading spaces are ignored (the owner is never implied).
 * TXT/SPF data is one or more double-quoted strings, kept apart, with `\"`, `\\` and `\DDD` escapes;
 * string contents are stored as bytes (one char per octet, non-ASCII text as its UTF-8 octets).
 * @throws InputError naming the line number and what is wrong (never the line itself).
 * @example parsePresentation('@ MX 10 mx1', 'example.org')
 */
export function parsePresentation(text: string, origin: string): DnsRecord[] {
  let currentOrigin = originName(origin);
  let defaultTtl = DEFAULT_TTL;
  const records: DnsRecord[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    try {
      const tokens = tokenize(lines[i] ?? '');
      const first = tokens[0];
      if (!first) continue;
      if (!first.quoted && first.text.startsWith('$')) {
        const directive = first.text.toUpperCase();
        const arg = tokens[1];
        if (!arg || arg.quoted || tokens.length > 2) {
          const shown = /^\$[A-Z]{1,12}$/.test(directive) ? directive : 'a directive';
          throw new LineError(`${shown} takes one value`);
        }
        if (directive === '$TTL') defaultTtl = ttlValue(arg.text);
        else if (directive === '$ORIGIN') currentOrigin = ownerName(arg.text, currentOrigin);
        else throw new LineError('unknown directive (only $ORIGIN and $TTL are supported)');
        continue;
      }
      records.push(parseRecord(tokens, currentOrigin, defaultTtl));
    } catch (err) {
      if (err instanceof LineError) throw new InputError(`line ${i + 1}: ${err.message}`);
      throw err;
    }
  }
  return records;
}

/**
 * Resolves a name as zone files do: `@` is the origin, a trailing dot makes it absolute, anything
 * else is relative to the origin. Returns the lower-case ASCII name without trailing dot.
 * @throws InputError saying what is wrong with the name.
 */
export function absoluteName(text: string, origin: string): string {
  try {
    return ownerName(text, wireName(origin));
  } catch (err) {
    if (err instanceof LineError) throw new InputError(err.message);
    throw err;
  }
}

function originName(origin: string): string {
  try {
    return origin === '' || origin === '.' ? '' : ownerName(origin.endsWith('.') ? origin : `${origin}.`, '');
  } catch (err) {
    if (err instanceof LineError) throw new InputError(`origin: ${err.message}`);
    throw err;
  }
}

function parseRecord(tokens: Token[], origin: string, defaultTtl: number): DnsRecord {
  const plain = tokens.map((t) => (t.quoted ? undefined : t.text));
  const name = ownerName(plainToken(tokens, 0, 'owner name'), origin);
  let at = 1;
  let ttl: number | undefined;
  let sawClass = false;
  // TTL and class may come in either order (RFC 1035 §5.1); both are optional.
  for (let k = 0; k < 2; k++) {
    const t = plain[at];
    if (t !== undefined && UINT.test(t) && ttl === undefined) {
      ttl = ttlValue(t);
      at++;
    } else if (t !== undefined && t.toUpperCase() === 'IN' && !sawClass) {
      sawClass = true;
      at++;
    }
  }
  const typeText = plain[at];
  if (typeText === undefined) throw new LineError('expected a record type after the owner name');
  const type = typeText.toUpperCase();
  if (!isRRType(type)) {
    const shown = /^[A-Za-z0-9]{1,12}$/.test(typeText) ? ` ${type}` : '';
    throw new LineError(
      `unsupported record type${shown} (supported: A AAAA MX TXT SPF CNAME NS SOA PTR TLSA DS DNSKEY)`,
    );
  }
  const rdata = tokens.slice(at + 1);
  return { name, type, ttl: ttl ?? defaultTtl, data: parseData(type, rdata, origin) } as DnsRecord;
}

function parseData(type: RRType, rdata: Token[], origin: string): RecordDataMap[RRType] {
  if (type === 'TXT' || type === 'SPF') {
    if (rdata.length === 0) throw new LineError(`${type} needs at least one double-quoted string`);
    if (rdata.some((t) => !t.quoted)) throw new LineError(`${type} data must be double-quoted strings`);
    const strings = rdata.map((t) => t.text);
    return { text: strings.join(''), strings };
  }
  if (rdata.some((t) => t.quoted)) throw new LineError(`${type} data cannot contain quoted strings`);
  const f = rdata.map((t) => t.text);
  const need = (n: number, shape: string): void => {
    if (f.length !== n) throw new LineError(`${type} data must be: ${shape}`);
  };
  const atLeast = (n: number, shape: string): void => {
    if (f.length < n) throw new LineError(`${type} data must be: ${shape}`);
  };
  switch (type) {
    case 'A': {
      need(1, 'an IPv4 address');
      const v = f[0] as string;
      if (!ipaddr.IPv4.isValidFourPartDecimal(v))
        throw new LineError('A data is not a dotted-quad IPv4 address');
      return ipaddr.IPv4.parse(v).toString();
    }
    case 'AAAA': {
      need(1, 'an IPv6 address');
      const v = f[0] as string;
      if (v.includes('%') || !ipaddr.IPv6.isValid(v)) throw new LineError('AAAA data is not an IPv6 address');
      return ipaddr.IPv6.parse(v).toString();
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      need(1, 'a domain name');
      return targetName(f[0] as string, origin, false);
    case 'MX':
      need(2, 'PREFERENCE EXCHANGE');
      // A root exchange is the null MX of RFC 7505.
      return { preference: uint(f[0], 16, 'preference'), exchange: targetName(f[1] as string, origin, true) };
    case 'SOA':
      need(7, 'MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM');
      return {
        mname: targetName(f[0] as string, origin, true),
        rname: targetName(f[1] as string, origin, true),
        serial: uint(f[2], 32, 'serial'),
        refresh: uint(f[3], 32, 'refresh'),
        retry: uint(f[4], 32, 'retry'),
        expire: uint(f[5], 32, 'expire'),
        minimum: uint(f[6], 32, 'minimum'),
      };
    case 'TLSA':
      atLeast(4, 'USAGE SELECTOR MATCHING-TYPE HEX');
      return {
        usage: uint(f[0], 8, 'usage'),
        selector: uint(f[1], 8, 'selector'),
        matchingType: uint(f[2], 8, 'matching type'),
        data: hex(f.slice(3).join(''), 'certificate association data'),
      };
    case 'DS':
      atLeast(4, 'KEY-TAG ALGORITHM DIGEST-TYPE HEX');
      return {
        keyTag: uint(f[0], 16, 'key tag'),
        algorithm: uint(f[1], 8, 'algorithm'),
        digestType: uint(f[2], 8, 'digest type'),
        digest: hex(f.slice(3).join(''), 'digest'),
      };
    case 'DNSKEY': {
      atLeast(4, 'FLAGS PROTOCOL ALGORITHM BASE64');
      const publicKey = f.slice(3).join('');
      if (!BASE64.test(publicKey)) throw new LineError('DNSKEY public key is not valid base64');
      return {
        flags: uint(f[0], 16, 'flags'),
        protocol: uint(f[1], 8, 'protocol'),
        algorithm: uint(f[2], 8, 'algorithm'),
        publicKey,
      };
    }
  }
  throw new LineError(`unsupported record type ${type}`);
}

function plainToken(tokens: Token[], i: number, what: string): string {
  const t = tokens[i];
  if (!t || t.quoted) throw new LineError(`expected ${what}`);
  return t.text;
}

/** Resolves an owner name against the origin (`@`, relative, or absolute with a trailing dot). */
function ownerName(text: string, origin: string): string {
  let name: string;
  if (text === '@') {
    name = origin;
  } else if (text.endsWith('.')) {
    name = text.slice(0, -1).toLowerCase();
  } else {
    name = (origin === '' ? text : `${text}.${origin}`).toLowerCase();
  }
  if (Buffer.byteLength(name) !== name.length) {
    // IDN labels are accepted and stored as punycode, as they go on the wire.
    name = domainToASCII(name);
    if (name === '') throw new LineError('name is not a valid internationalised domain name');
  }
  if (name === '') throw new LineError('the root cannot be used as a name here');
  const problem = nameProblem(name, { dnsData: true });
  if (problem) throw new LineError(`name ${problem}`);
  return name;
}

function targetName(text: string, origin: string, rootAllowed: boolean): string {
  if (text === '.') {
    if (rootAllowed) return '';
    throw new LineError('the root cannot be used as a target here');
  }
  return ownerName(text, origin);
}

function uint(text: string | undefined, bits: 8 | 16 | 32, what: string): number {
  const n = text !== undefined && UINT.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n < 2 ** bits))
    throw new LineError(`${what} must be a whole number from 0 to ${2 ** bits - 1}`);
  return n;
}

function ttlValue(text: string): number {
  const n = UINT.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= MAX_TTL)) throw new LineError(`TTL must be a whole number from 0 to ${MAX_TTL}`);
  return n;
}

function hex(text: string, what: string): string {
  if (!HEX.test(text)) throw new LineError(`${what} must be an even number of hex digits`);
  return text.toLowerCase();
}

/**
 * Splits a line into tokens: whitespace-separated words and double-quoted strings; `;` outside
 * quotes starts a comment. Quoted strings become byte strings (latin1 chars) after escapes.
 */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (SPACE.test(c)) {
      i++;
    } else if (c === ';') {
      break;
    } else if (c === '"') {
      const [text, next] = quoted(line, i + 1);
      tokens.push({ text, quoted: true });
      i = next;
      if (i < line.length && !SPACE.test(line[i] as string) && line[i] !== ';') {
        throw new LineError('a quoted string must be followed by a space');
      }
    } else if (c === '(' || c === ')') {
      throw new LineError('parentheses are not supported: put each record on one line');
    } else {
      let j = i;
      while (j < line.length && !SPACE.test(line[j] as string) && !'";()'.includes(line[j] as string)) j++;
      tokens.push({ text: line.slice(i, j), quoted: false });
      i = j;
    }
  }
  return tokens;
}

/** Reads a quoted string starting after its opening quote; returns the bytes and the index after the close. */
function quoted(line: string, start: number): [string, number] {
  const bytes: number[] = [];
  let i = start;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === '"') {
      if (bytes.length > 255) throw new LineError('a character-string is longer than 255 octets');
      return [Buffer.from(bytes).toString('latin1'), i + 1];
    }
    if (c === '\\') {
      const ddd = /^\d{3}/.exec(line.slice(i + 1, i + 4));
      if (ddd) {
        const v = Number(ddd[0]);
        if (v > 255) throw new LineError('a \\DDD escape must be 255 or less');
        bytes.push(v);
        i += 4;
        continue;
      }
      // Any other escaped character stands for itself.
      i++;
      if (i >= line.length) break;
    }
    // One code point at a time so astral characters keep their UTF-8 form.
    const cp = line.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    for (const b of cp < 0x80 ? [cp] : Buffer.from(ch, 'utf8')) bytes.push(b);
    i += ch.length;
  }
  throw new LineError('unterminated quoted string');
}
