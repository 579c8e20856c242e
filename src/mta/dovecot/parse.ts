import { readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { DOVECOT_MAX_INCLUDE_DEPTH } from '../../core/limits.js';

/** One `key = value` with the sections it sits in (`protocol imap`, `service imap-login`, ...). */
export interface DovecotSetting {
  key: string;
  value: string;
  /** Enclosing sections, outermost first, e.g. `['protocol imap']`; empty at top level. */
  sections: string[];
  file: string;
  line: number;
}

/** A line the parser could not use. */
export interface DovecotProblem {
  file: string;
  line: number;
  message: string;
}

export interface DovecotConfig {
  settings: DovecotSetting[];
  problems: DovecotProblem[];
  /** Files read, in order, includes included. */
  files: string[];
}

/** Reads a file for the parser: text, or an error code. */
export type ReadText = (path: string) => { text: string } | { error: string };

/** Drops a `#` comment that is outside quotes and at the start or after a blank. */
function stripComment(line: string): string {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i);
  }
  return line;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) {
    return t.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return t;
}

/** Lists a directory's entries (empty when unreadable); injectable for tests. */
export type ListDir = (dir: string) => string[];

const listDir: ListDir = (dir) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Expands `dir/*.conf` in the last path component, sorted as Dovecot does; plain paths pass through. */
function globFiles(pattern: string, list: ListDir): string[] {
  const name = basename(pattern);
  if (!/[*?]/.test(name)) return [pattern];
  const re = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return list(dirname(pattern))
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dirname(pattern), f));
}

/**
 * Parses a dovecot.conf (or `doveconf -n` output) with its `!include`/`!include_try` files,
 * sections and `\` continuation lines. Never throws: broken lines become problems.
 */
export function parseDovecot(file: string, read: ReadText, list: ListDir = listDir): DovecotConfig {
  const out: DovecotConfig = { settings: [], problems: [], files: [] };
  const stack: string[] = [];
  parseFile(file, { read, list }, out, stack, 0, false, undefined);
  if (stack.length)
    out.problems.push({ file, line: 0, message: `${stack.length} section(s) not closed with "}"` });
  return out;
}

function parseFile(
  file: string,
  io: { read: ReadText; list: ListDir },
  out: DovecotConfig,
  stack: string[],
  depth: number,
  optional: boolean,
  from: { file: string; line: number } | undefined,
): void {
  if (depth > DOVECOT_MAX_INCLUDE_DEPTH) {
    out.problems.push({
      file: from?.file ?? file,
      line: from?.line ?? 0,
      message: 'includes nested too deep (an include loop?)',
    });
    return;
  }
  const r = io.read(file);
  if ('error' in r) {
    if (!optional)
      out.problems.push({
        file: from?.file ?? file,
        line: from?.line ?? 0,
        message: `cannot read ${file}: ${r.error}`,
      });
    return;
  }
  out.files.push(file);
  const lines = r.text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let l = lines[i] as string;
    while (l.endsWith('\\') && i + 1 < lines.length) l = l.slice(0, -1) + ' ' + (lines[++i] as string).trim();
    l = stripComment(l).trim();
    if (l === '') continue;
    const inc = /^!(include|include_try)\s+(.+)$/.exec(l);
    if (inc) {
      const target = unquote(inc[2] as string);
      const path = isAbsolute(target) ? target : join(dirname(file), target);
      const files = globFiles(path, io.list);
      if (files.length === 0 && inc[1] === 'include' && !/[*?]/.test(path)) files.push(path);
      for (const f of files)
        parseFile(f, io, out, stack, depth + 1, inc[1] === 'include_try', { file, line: lineNo });
      continue;
    }
    if (l === '}') {
      if (stack.length === 0) out.problems.push({ file, line: lineNo, message: 'unexpected "}"' });
      else stack.pop();
      continue;
    }
    const eq = l.indexOf('=');
    const open = l.endsWith('{');
    if (open && (eq < 0 || eq > l.indexOf('{'))) {
      const head = l.slice(0, -1).trim().split(/\s+/).map(unquote).join(' ');
      if (head === '') out.problems.push({ file, line: lineNo, message: 'section without a name' });
      stack.push(head || '?');
      continue;
    }
    if (eq <= 0) {
      out.problems.push({ file, line: lineNo, message: 'not "key = value", a section or an !include' });
      continue;
    }
    const key = l.slice(0, eq).trim();
    if (!/^[A-Za-z0-9_.\-/]+$/.test(key)) {
      out.problems.push({ file, line: lineNo, message: 'malformed setting name' });
      continue;
    }
    out.settings.push({ key, value: unquote(l.slice(eq + 1)), sections: [...stack], file, line: lineNo });
  }
}

/** The last top-level assignment of `key` (Dovecot lets a later one win). */
export function topLevel(cfg: DovecotConfig, key: string): DovecotSetting | undefined {
  let found: DovecotSetting | undefined;
  for (const s of cfg.settings) if (s.key === key && s.sections.length === 0) found = s;
  return found;
}

/** Assignments of `key` inside protocol/local/remote filters, which override the top level there. */
export function filterOverrides(cfg: DovecotConfig, key: string): DovecotSetting[] {
  return cfg.settings.filter(
    (s) =>
      s.key === key &&
      s.sections.length > 0 &&
      /^(protocol|local|remote|local_name)\b/.test(s.sections[0] as string),
  );
}
