import { POSTFIX_MAX_LOGICAL_LINE } from '../../core/limits.js';
import type { ConfigProblem, MainParam } from './types.js';

/** Parsed main.cf: parameters in file order (a later duplicate wins, as in Postfix) and problems. */
export interface MainCf {
  file: string;
  params: Map<string, MainParam>;
  problems: ConfigProblem[];
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Logical lines of a Postfix table-style file: comments dropped, indented lines joined to the previous one. */
export function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    // Postfix ignores blank lines and lines whose first non-blank character is '#', even inside a
    // continuation, so a commented-out line never ends or breaks a logical line.
    if (/^\s*(#|$)/.test(l)) continue;
    const last = out[out.length - 1];
    if (/^\s/.test(l) && last) {
      if (last.text.length < POSTFIX_MAX_LOGICAL_LINE) last.text += ' ' + l.trim();
    } else out.push({ text: l.trimEnd().slice(0, POSTFIX_MAX_LOGICAL_LINE), line: i + 1 });
  }
  return out;
}

/** Parses main.cf text. Broken lines become problems with their line number. */
export function parseMainCf(text: string, file: string): MainCf {
  const params = new Map<string, MainParam>();
  const problems: ConfigProblem[] = [];
  for (const { text: l, line } of logicalLines(text)) {
    if (/^\s/.test(l)) {
      problems.push({ file, line, message: 'continuation line with no parameter before it' });
      continue;
    }
    const eq = l.indexOf('=');
    if (eq < 0) {
      problems.push({ file, line, message: 'missing "=": not a "name = value" line' });
      continue;
    }
    const name = l.slice(0, eq).trim();
    if (!NAME.test(name)) {
      problems.push({ file, line, message: 'malformed parameter name' });
      continue;
    }
    params.set(name, { name, raw: l.slice(eq + 1).trim(), file, line });
  }
  return { file, params, problems };
}
