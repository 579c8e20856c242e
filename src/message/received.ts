/** Positions of one clause inside a raw Received value: `start` at its keyword, `end` exclusive. */
export interface ClauseSpan {
  start: number;
  end: number;
}

/** The clauses of a Received field (RFC 5321 §4.4), located on the raw (still folded) value. */
export interface ReceivedClauses {
  from?: ClauseSpan;
  by?: ClauseSpan;
  with?: ClauseSpan;
  for?: ClauseSpan;
  /** Offset of the `;` before the date, when present. */
  dateAt?: number;
}

const KEYWORDS = new Set(['from', 'by', 'via', 'with', 'id', 'for']);

/**
 * Finds clause keywords at comment depth 0, so a `by` inside `(Authenticated sender: ...)` or a
 * quoted string does not end the from-clause. Linear in the value length.
 */
export function receivedClauses(value: string): ReceivedClauses {
  const marks: { kw: string; at: number }[] = [];
  let depth = 0;
  let quoted = false;
  let dateAt: number | undefined;
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      i++;
      continue;
    }
    if (c === '\\' && depth > 0) {
      i += 2;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === '"' && depth === 0) quoted = true;
    else if (c === ';' && depth === 0) {
      dateAt = i;
      break;
    } else if (depth === 0 && /[a-z]/i.test(c) && (i === 0 || /[\s)]/.test(value[i - 1]!))) {
      let j = i;
      while (j < value.length && /[a-z]/i.test(value[j]!)) j++;
      const word = value.slice(i, j).toLowerCase();
      if (KEYWORDS.has(word) && (j === value.length || /[\s(]/.test(value[j]!)))
        marks.push({ kw: word, at: i });
      i = j;
      continue;
    }
    i++;
  }
  const end = dateAt ?? value.length;
  const out: ReceivedClauses = {};
  const seen = new Set<string>();
  for (let k = 0; k < marks.length; k++) {
    const m = marks[k]!;
    if (seen.has(m.kw)) continue; // a repeated keyword belongs to the previous clause's text
    seen.add(m.kw);
    const next = marks[k + 1]?.at ?? end;
    const span = { start: m.at, end: trimEndIndex(value, m.at, next) };
    if (m.kw === 'from' || m.kw === 'by' || m.kw === 'with' || m.kw === 'for') out[m.kw] = span;
  }
  if (dateAt !== undefined) out.dateAt = dateAt;
  return out;
}

function trimEndIndex(s: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(s[e - 1]!)) e--;
  return e;
}

/** The text of a clause without its keyword, unfolded. */
export function clauseText(value: string, span: ClauseSpan | undefined): string {
  if (!span) return '';
  return value
    .slice(span.start, span.end)
    .replace(/^[a-z]+/i, '')
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

/** Host names in a from/by clause: the first word, and HELO or reverse names inside comments. */
export function clauseHosts(text: string): string[] {
  const hosts = new Set<string>();
  const first = /^([^\s()[\]]+)/.exec(text);
  if (first) hosts.add(first[1]!);
  // Postfix "(name [ip])", Sendmail "(name [ip])" and "(HELO name)" / "(EHLO name)" forms.
  // A bare "(Postfix)" or "(Exim 4.96)" comment names software, not a host, so only these count.
  for (const m of text.matchAll(/\(([A-Za-z0-9_.-]+)\s*\[/g)) hosts.add(m[1]!);
  for (const m of text.matchAll(/\((?:HELO|EHLO)\s+([A-Za-z0-9_.-]+)\)/gi)) hosts.add(m[1]!);
  for (const m of text.matchAll(/\bhelo=([A-Za-z0-9_.-]+)/g)) hosts.add(m[1]!);
  hosts.delete('unknown');
  return [...hosts].filter((h) => !/^\d+(\.\d+)*$/.test(h));
}

/** Replaces the from-clause (and comments up to `by`) with `from <replacement>`, keeping folding after it. */
export function rewriteFromClause(value: string, span: ClauseSpan, replacement: string): string {
  return `${value.slice(0, span.start)}from ${replacement}${value.slice(span.end)}`;
}
