import { parseIpv4, parseIpv6 } from './ip.js';
import { parseMacroString, type MacroToken } from './macro.js';

export type Qualifier = '+' | '-' | '~' | '?';
export type MechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';

/** Mechanisms that cost a DNS lookup (RFC 7208 §4.6.4); the redirect modifier costs one too. */
export const LOOKUP_MECHANISMS: ReadonlySet<MechanismName> = new Set(['include', 'a', 'mx', 'ptr', 'exists']);

/** A parsed mechanism. `index` is the term's position after the version (0-based). */
export interface SpfMechanism {
  type: 'mechanism';
  index: number;
  text: string;
  qualifier: Qualifier;
  name: MechanismName;
  /** The target as written (include, a, mx, ptr, exists). */
  domainSpec?: string;
  domainTokens?: MacroToken[];
  /** ip4/ip6 network bytes. */
  network?: number[];
  cidr4?: number;
  cidr6?: number;
}

/** A parsed modifier: redirect, exp or an unknown (ignored) one. */
export interface SpfModifier {
  type: 'modifier';
  index: number;
  text: string;
  /** Lower case. */
  name: string;
  value: string;
  /** Macro tokens of the value (a domain-spec for redirect and exp). */
  tokens: MacroToken[];
}

export type SpfTerm = SpfMechanism | SpfModifier;

/** A syntax error; `index` is the offending term (-1 for the record as a whole). */
export interface SpfSyntaxError {
  index: number;
  term: string;
  reason: string;
}

/** The outcome of parsing one record. `valid` means an evaluator may use it (no permerror). */
export interface SpfParse {
  isSpf: boolean;
  valid: boolean;
  terms: SpfTerm[];
  mechanisms: SpfMechanism[];
  redirect?: SpfModifier;
  exp?: SpfModifier;
  errors: SpfSyntaxError[];
}

/** True for a record that selects itself as SPF: `v=spf1` (any case) then a space or the end. */
export function isSpfRecordText(text: string): boolean {
  return /^v=spf1(?: |$)/i.test(text);
}

// RFC 7208 §7.1 toplabel; the second branch allows all-digit labels only when hyphenated.
const TOPLABEL_RE = /^(?:[0-9A-Za-z]*[A-Za-z][0-9A-Za-z]*|[0-9A-Za-z]+-[0-9A-Za-z-]*[0-9A-Za-z])$/;
const CIDR_RE = /^(?:0|[1-9][0-9]*)$/;
const MODIFIER_RE = /^([A-Za-z][A-Za-z0-9._-]*)=(.*)$/s;
const MECHANISM_RE = /^([+\-~?]?)([A-Za-z][A-Za-z0-9]*)(.*)$/s;
const MECHANISMS: ReadonlySet<string> = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);

/** True when `label` is a valid RFC 7208 top label (letters, digits, inner hyphens, not all digits). */
export function isTopLabel(label: string): boolean {
  return TOPLABEL_RE.test(label);
}

type DomainSpecCheck = { ok: true; tokens: MacroToken[] } | { ok: false; reason: string };

/** Validates a domain-spec: a macro-string ending in a macro or in "." toplabel ["."]. */
export function checkDomainSpec(spec: string): DomainSpecCheck {
  if (spec === '') return { ok: false, reason: 'the domain-spec is empty' };
  const parsed = parseMacroString(spec);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  if (parsed.endsWithMacro) return { ok: true, tokens: parsed.tokens };
  const body = spec.endsWith('.') ? spec.slice(0, -1) : spec;
  const dot = body.lastIndexOf('.');
  if (dot < 0)
    return { ok: false, reason: 'the domain must be a fully qualified name (no dot before its last label)' };
  const top = body.slice(dot + 1);
  if (!isTopLabel(top)) return { ok: false, reason: `"${top}" is not a valid top-level label` };
  return { ok: true, tokens: parsed.tokens };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseCidr(text: string, max: number, family: string): Parsed<number> {
  if (!CIDR_RE.test(text)) return { ok: false, reason: `"/${text}" is not a valid ${family} prefix length` };
  const n = Number(text);
  if (n > max) return { ok: false, reason: `${family} prefix length ${n} is over ${max}` };
  return { ok: true, value: n };
}

function parseDualCidr(text: string): Parsed<{ cidr4?: number; cidr6?: number }> {
  const m = /^(?:\/([0-9]+))?(?:\/\/([0-9]+))?$/.exec(text);
  if (!m) return { ok: false, reason: `"${text}" is not a valid dual CIDR length` };
  const out: { cidr4?: number; cidr6?: number } = {};
  if (m[1] !== undefined) {
    const c = parseCidr(m[1], 32, 'IPv4');
    if (!c.ok) return c;
    out.cidr4 = c.value;
  }
  if (m[2] !== undefined) {
    const c = parseCidr(m[2], 128, 'IPv6');
    if (!c.ok) return c;
    out.cidr6 = c.value;
  }
  return { ok: true, value: out };
}

function parseIpMechanism(m: SpfMechanism, rest: string): string | undefined {
  const v4 = m.name === 'ip4';
  if (!rest.startsWith(':') || rest.length === 1)
    return `${m.name} requires an address, as in "${m.name}:ADDRESS"`;
  const arg = rest.slice(1);
  const slash = arg.indexOf('/');
  const addr = slash < 0 ? arg : arg.slice(0, slash);
  const network = v4 ? parseIpv4(addr) : parseIpv6(addr);
  if (!network) return `"${addr}" is not a valid ${v4 ? 'IPv4' : 'IPv6'} address`;
  m.network = network;
  if (slash >= 0) {
    const c = parseCidr(arg.slice(slash + 1), v4 ? 32 : 128, v4 ? 'IPv4' : 'IPv6');
    if (!c.ok) return c.reason;
    if (v4) m.cidr4 = c.value;
    else m.cidr6 = c.value;
  }
  return undefined;
}

function setDomain(m: SpfMechanism, spec: string): string | undefined {
  const check = checkDomainSpec(spec);
  if (!check.ok) return check.reason;
  m.domainSpec = spec;
  m.domainTokens = check.tokens;
  return undefined;
}

/** Fills the mechanism's arguments; returns a reason when they are malformed. */
function parseMechanismArgs(m: SpfMechanism, rest: string): string | undefined {
  switch (m.name) {
    case 'all':
      return rest === '' ? undefined : '"all" takes no argument';
    case 'include':
    case 'exists':
      if (!rest.startsWith(':')) return `${m.name} requires a domain, as in "${m.name}:example.org"`;
      return setDomain(m, rest.slice(1));
    case 'ptr':
      if (rest === '') return undefined;
      if (!rest.startsWith(':')) return '"ptr" takes only ":domain" (no prefix length)';
      return setDomain(m, rest.slice(1));
    case 'a':
    case 'mx': {
      let spec: string | undefined;
      let cidrText = rest;
      if (rest.startsWith(':')) {
        const split = /^(.*?)((?:\/[0-9]+)?(?:\/\/[0-9]+)?)$/s.exec(rest.slice(1));
        spec = split?.[1] ?? '';
        cidrText = split?.[2] ?? '';
      }
      const cidr = parseDualCidr(cidrText);
      if (!cidr.ok) return cidr.reason;
      if (cidr.value.cidr4 !== undefined) m.cidr4 = cidr.value.cidr4;
      if (cidr.value.cidr6 !== undefined) m.cidr6 = cidr.value.cidr6;
      return spec === undefined ? undefined : setDomain(m, spec);
    }
    case 'ip4':
    case 'ip6':
      return parseIpMechanism(m, rest);
  }
}

function parseTerm(text: string, index: number): SpfTerm | SpfSyntaxError {
  const bad = /[^\x21-\x7e]/.exec(text);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    return {
      index,
      term: text,
      reason: `contains character 0x${code}: terms are printable ASCII separated by spaces`,
    };
  }
  const mod = MODIFIER_RE.exec(text);
  if (mod) {
    const name = (mod[1] ?? '').toLowerCase();
    const value = mod[2] ?? '';
    if (name === 'redirect' || name === 'exp') {
      const check = checkDomainSpec(value);
      if (!check.ok) return { index, term: text, reason: `${name}=: ${check.reason}` };
      return { type: 'modifier', index, text, name, value, tokens: check.tokens };
    }
    const macro = parseMacroString(value, { anyLetter: true });
    if (!macro.ok) return { index, term: text, reason: `modifier value: ${macro.reason}` };
    return { type: 'modifier', index, text, name, value, tokens: macro.tokens };
  }
  const mech = MECHANISM_RE.exec(text);
  const name = (mech?.[2] ?? '').toLowerCase();
  if (!mech || !MECHANISMS.has(name)) {
    return { index, term: text, reason: 'unknown mechanism (or a modifier with an invalid name)' };
  }
  const m: SpfMechanism = {
    type: 'mechanism',
    index,
    text,
    qualifier: (mech[1] || '+') as Qualifier,
    name: name as MechanismName,
  };
  const reason = parseMechanismArgs(m, mech[3] ?? '');
  return reason === undefined ? m : { index, term: text, reason };
}

/**
 * Parses an SPF record (RFC 7208 §4.5, §4.6, §5, §6, §7) into terms and syntax errors.
 * Never throws: every problem is listed with the offending term index.
 * @example parseSpf('v=spf1 mx -all').mechanisms.map((m) => m.name) // ['mx', 'all']
 */
export function parseSpf(text: string): SpfParse {
  const result: SpfParse = { isSpf: false, valid: false, terms: [], mechanisms: [], errors: [] };
  if (!isSpfRecordText(text)) {
    const first = text.split(' ')[0] ?? '';
    result.errors.push({ index: -1, term: first, reason: 'not an SPF record: it must start with "v=spf1"' });
    return result;
  }
  result.isSpf = true;
  const words = text
    .slice(6)
    .split(' ')
    .filter((w) => w !== '');
  words.forEach((word, index) => {
    const term = parseTerm(word, index);
    if (!('type' in term)) {
      result.errors.push(term);
      return;
    }
    result.terms.push(term);
    if (term.type === 'mechanism') {
      result.mechanisms.push(term);
    } else if (term.name === 'redirect' || term.name === 'exp') {
      if (result[term.name]) {
        result.errors.push({ index, term: word, reason: `the ${term.name} modifier appears more than once` });
      } else {
        result[term.name] = term;
      }
    }
  });
  result.valid = result.errors.length === 0;
  return result;
}
