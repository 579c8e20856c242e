import { POSTFIX_MAX_EXPANSION_DEPTH, POSTFIX_MAX_EXPANSION_LENGTH } from '../../core/limits.js';

/** Returns the unexpanded value of a parameter, or undefined when it has none. */
export type RawLookup = (name: string) => string | undefined;

/** Result of expanding one value; `problem` says why expansion was cut short. */
export interface Expansion {
  value: string;
  problem?: string;
}

class Cut extends Error {}

/**
 * Expands Postfix `$name`, `${name}`, `$(name)`, `${name?value}`, `${name:value}`,
 * `${name?{a}:{b}}` and the 3.6 relational form `${{$x} <level {2} ? {a} : {b}}`, recursively, the way
 * `postconf -x` does. Unknown names expand to nothing; loops and blow-ups stop at named limits.
 */
export function expand(raw: string, lookup: RawLookup): Expansion {
  try {
    return { value: expandAt(raw, lookup, 0) };
  } catch (err) {
    if (err instanceof Cut) return { value: raw, problem: err.message };
    throw err;
  }
}

function expandAt(s: string, lookup: RawLookup, depth: number): string {
  if (depth > POSTFIX_MAX_EXPANSION_DEPTH) throw new Cut('expansion too deep (a parameter refers to itself)');
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c !== '$') {
      out += c;
      i++;
    } else if (s[i + 1] === '$') {
      out += '$';
      i += 2;
    } else if (s[i + 1] === '{' || s[i + 1] === '(') {
      const close = matching(s, i + 1);
      if (close < 0) {
        // Postfix reports an unbalanced brace as an error; keep the text as written.
        out += s.slice(i);
        break;
      }
      out += expandBraced(s.slice(i + 2, close), lookup, depth);
      i = close + 1;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(s.slice(i + 1));
      if (!m) {
        out += c;
        i++;
        continue;
      }
      out += value(m[0], lookup, depth);
      i += 1 + m[0].length;
    }
    if (out.length > POSTFIX_MAX_EXPANSION_LENGTH) throw new Cut('expansion too long');
  }
  return out;
}

function value(name: string, lookup: RawLookup, depth: number): string {
  const raw = lookup(name);
  return raw === undefined ? '' : expandAt(raw, lookup, depth + 1);
}

/** Index of the bracket closing the one at `open`, counting nested `{}`/`()`, or -1. */
function matching(s: string, open: number): number {
  const want = s[open] === '(' ? ')' : '}';
  const opener = s[open] as string;
  let level = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === opener) level++;
    else if (s[j] === want && --level === 0) return j;
  }
  return -1;
}

function expandBraced(inner: string, lookup: RawLookup, depth: number): string {
  const t = inner.trim();
  if (t.startsWith('{')) return relational(t, lookup, depth);
  const m = /^[A-Za-z0-9_]+/.exec(inner);
  if (!m) return '';
  const name = m[0];
  const rest = inner.slice(name.length);
  const v = value(name, lookup, depth);
  if (rest === '') return v;
  const op = rest[0];
  const body = rest.slice(1);
  if (op !== '?' && op !== ':') return v;
  const [a, b] = alternatives(body);
  if (op === '?') return v !== '' ? expandAt(a, lookup, depth + 1) : expandAt(b ?? '', lookup, depth + 1);
  return v === '' ? expandAt(a, lookup, depth + 1) : '';
}

/** `{a}:{b}` → [a, b]; `{a}` → [a]; plain text → [text]. */
function alternatives(body: string): [string, string?] {
  const b = body.trim();
  if (!b.startsWith('{')) return [body];
  const close = matching(b, 0);
  if (close < 0) return [body];
  const first = b.slice(1, close);
  const after = b.slice(close + 1).trim();
  if (after.startsWith(':')) {
    const second = after.slice(1).trim();
    if (second.startsWith('{')) {
      const c2 = matching(second, 0);
      if (c2 > 0) return [first, second.slice(1, c2)];
    }
  }
  return [first];
}

/** `{x} op {y} ? {a} : {b}` with ==, !=, <, <=, >, >= (numbers) and <level ... (compatibility levels). */
function relational(t: string, lookup: RawLookup, depth: number): string {
  const parts: string[] = [];
  let rest = t;
  const ops: string[] = [];
  for (let k = 0; k < 4 && rest.length; k++) {
    rest = rest.trim();
    if (!rest.startsWith('{')) {
      const m = /^(==|!=|<=level|>=level|<level|>level|<=|>=|<|>|\?|:)/.exec(rest);
      if (!m) return '';
      ops.push(m[0]);
      rest = rest.slice(m[0].length);
      k--;
      continue;
    }
    const close = matching(rest, 0);
    if (close < 0) return '';
    parts.push(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  if (parts.length < 3 || ops.length < 2 || ops[1] !== '?') return '';
  const x = expandAt(parts[0] as string, lookup, depth + 1).trim();
  const y = expandAt(parts[1] as string, lookup, depth + 1).trim();
  const chosen = compare(x, ops[0] as string, y) ? parts[2] : parts[3];
  return expandAt(chosen ?? '', lookup, depth + 1);
}

function compare(x: string, op: string, y: string): boolean {
  const level = op.endsWith('level');
  const d = level ? compareLevels(x, y) : Number(x) - Number(y);
  switch (op.replace('level', '')) {
    case '==':
      return level ? d === 0 : x === y;
    case '!=':
      return level ? d !== 0 : x !== y;
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    default:
      return false;
  }
}

/** Compares Postfix compatibility levels such as `2`, `3.6`, `3.10` field by field, numerically. */
export function compareLevels(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number(n) || 0);
  const pb = b.split('.').map((n) => Number(n) || 0);
  for (let k = 0; k < Math.max(pa.length, pb.length); k++) {
    const d = (pa[k] ?? 0) - (pb[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
