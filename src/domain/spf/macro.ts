import { DNS_MAX_LABEL_LENGTH, DNS_MAX_NAME_LENGTH } from '../../core/limits.js';
import { dottedIp, formatIp, type SpfIp } from './ip.js';

/** Macro letters of RFC 7208 §7.2. */
export type MacroLetter = 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'c' | 'r' | 't' | 'v';

/** One piece of a macro-string: literal text, or a `%{...}` expansion. */
export type MacroToken =
  | { kind: 'literal'; text: string }
  | {
      kind: 'macro';
      letter: MacroLetter;
      /** Upper-case letter: the value is URL-escaped (RFC 7208 §7.3). */
      escape: boolean;
      /** Number of right-hand parts to keep. */
      keep?: number;
      reverse: boolean;
      /** Characters to split on; empty means the default ".". */
      delimiters: string;
      raw: string;
    };

export type MacroParse =
  | {
      ok: true;
      tokens: MacroToken[];
      /** Ends with a macro-expand (§7.1 domain-end). */ endsWithMacro: boolean;
    }
  | { ok: false; reason: string; offset: number };

export interface MacroParseOptions {
  /** Explanation text (§6.2): spaces and the letters c, r, t are allowed. */
  explanation?: boolean;
  /** Accept every macro letter (unknown modifiers are never expanded). */
  anyLetter?: boolean;
}

const DOMAIN_LETTERS = new Set('slodiphv');
const EXP_ONLY_LETTERS = new Set('crt');
const MACRO_RE = /^%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}/;

/** Parses a macro-string (RFC 7208 §7.1). Never throws. */
export function parseMacroString(text: string, options: MacroParseOptions = {}): MacroParse {
  const tokens: MacroToken[] = [];
  let literal = '';
  let endsWithMacro = false;
  const flush = (): void => {
    if (literal !== '') tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < text.length;) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x25) {
      const allowed = (ch >= 0x21 && ch <= 0x7e) || (ch === 0x20 && options.explanation === true);
      if (!allowed) {
        return {
          ok: false,
          reason: `character 0x${ch.toString(16).padStart(2, '0')} is not allowed`,
          offset: i,
        };
      }
      literal += text[i];
      endsWithMacro = false;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '%' || next === '_' || next === '-') {
      literal += next === '%' ? '%' : next === '_' ? ' ' : '%20';
      endsWithMacro = true;
      i += 2;
      continue;
    }
    const m = next === '{' ? MACRO_RE.exec(text.slice(i)) : null;
    if (!m) return { ok: false, reason: `"%" must be followed by "{", "%", "_" or "-"`, offset: i };
    const [raw, letterText = '', digits = '', rev = '', delimiters = ''] = m;
    const letter = letterText.toLowerCase();
    const letterOk =
      DOMAIN_LETTERS.has(letter) ||
      (EXP_ONLY_LETTERS.has(letter) && (options.explanation === true || options.anyLetter === true));
    if (!letterOk) {
      const why = EXP_ONLY_LETTERS.has(letter)
        ? 'is allowed only in explanation text'
        : 'is not a macro letter';
      return { ok: false, reason: `macro letter "${letterText}" ${why}`, offset: i };
    }
    if (digits !== '' && Number(digits) === 0) {
      return { ok: false, reason: 'a macro part count must be at least 1', offset: i };
    }
    flush();
    const token: MacroToken = {
      kind: 'macro',
      letter: letter as MacroLetter,
      escape: letterText !== letter,
      reverse: rev !== '',
      delimiters,
      raw,
    };
    if (digits !== '') token.keep = Number(digits);
    tokens.push(token);
    endsWithMacro = true;
    i += raw.length;
  }
  flush();
  return { ok: true, tokens, endsWithMacro };
}

/** Values the macros expand to. `validatedName` is lazy: the `p` macro costs DNS lookups. */
export interface MacroContext {
  sender: string;
  localPart: string;
  senderDomain: string;
  /** The domain whose record is being evaluated (changes on include and redirect). */
  domain: string;
  ip: SpfIp;
  helo: string;
  receiver: string;
  now: () => Date;
  validatedName: (domain: string) => Promise<string>;
}

/** URL-escapes everything outside the RFC 3986 unreserved set, as upper-case macros require. */
export function urlEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

async function letterValue(letter: MacroLetter, ctx: MacroContext): Promise<string> {
  switch (letter) {
    case 's':
      return ctx.sender;
    case 'l':
      return ctx.localPart;
    case 'o':
      return ctx.senderDomain;
    case 'd':
      return ctx.domain;
    case 'i':
      return dottedIp(ctx.ip);
    case 'p':
      return ctx.validatedName(ctx.domain);
    case 'v':
      return ctx.ip.family === 4 ? 'in-addr' : 'ip6';
    case 'h':
      return ctx.helo;
    case 'c':
      return formatIp(ctx.ip);
    case 'r':
      return ctx.receiver;
    case 't':
      return String(Math.floor(ctx.now().getTime() / 1000));
  }
}

/** Applies the transformers of one macro (split, reverse, keep right-hand parts, join with "."). */
export function transformValue(value: string, token: Extract<MacroToken, { kind: 'macro' }>): string {
  let out = value;
  if (token.reverse || token.keep !== undefined || token.delimiters !== '') {
    const delims = token.delimiters === '' ? '.' : token.delimiters;
    let parts = out.split(new RegExp(`[${delims.replace(/[-\\\]^/]/g, '\\$&')}]`));
    if (token.reverse) parts = parts.reverse();
    if (token.keep !== undefined && token.keep < parts.length) parts = parts.slice(parts.length - token.keep);
    out = parts.join('.');
  }
  return token.escape ? urlEscape(out) : out;
}

/** Expands parsed macro tokens. */
export async function expandMacros(tokens: readonly MacroToken[], ctx: MacroContext): Promise<string> {
  let out = '';
  for (const t of tokens) {
    out += t.kind === 'literal' ? t.text : transformValue(await letterValue(t.letter, ctx), t);
  }
  return out;
}

/**
 * Turns an expanded domain-spec into a query name: drops one trailing dot and, past 253
 * characters, removes labels from the left (RFC 7208 §7.3). Undefined when the result still
 * cannot be a DNS name (empty or over-long labels), which callers treat as "does not exist".
 */
export function toQueryName(expanded: string): string | undefined {
  let name = expanded.endsWith('.') ? expanded.slice(0, -1) : expanded;
  while (name.length > DNS_MAX_NAME_LENGTH && name.includes('.')) name = name.slice(name.indexOf('.') + 1);
  if (name === '' || name.length > DNS_MAX_NAME_LENGTH) return undefined;
  const labels = name.split('.');
  if (labels.some((l) => l.length === 0 || l.length > DNS_MAX_LABEL_LENGTH)) return undefined;
  return name;
}
