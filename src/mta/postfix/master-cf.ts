import { logicalLines } from './main-cf.js';
import type { ConfigProblem, MasterService, ServiceOverride } from './types.js';

/** Parsed master.cf: services in file order and the lines that could not be used. */
export interface MasterCf {
  file: string;
  services: MasterService[];
  problems: ConfigProblem[];
}

const TYPES = new Set(['inet', 'unix', 'unix-dgram', 'fifo', 'pass']);

/**
 * Splits a master.cf line into words. `{ a b }` is one word with the braces and outer blanks removed
 * (Postfix 3.0), so `-o { smtpd_banner = $myhostname ESMTP }` keeps its spaces. Returns undefined
 * for an unbalanced brace.
 */
export function splitWords(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i] as string)) {
      i++;
      continue;
    }
    if (line[i] === '{') {
      let level = 0;
      let j = i;
      for (; j < line.length; j++) {
        if (line[j] === '{') level++;
        else if (line[j] === '}' && --level === 0) break;
      }
      if (j >= line.length) return undefined;
      out.push(line.slice(i + 1, j).trim());
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < line.length && !/\s/.test(line[j] as string)) j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

/** Parses master.cf text. Broken entries become problems with their line number. */
export function parseMasterCf(text: string, file: string): MasterCf {
  const services: MasterService[] = [];
  const problems: ConfigProblem[] = [];
  const physical = text.split(/\r?\n/);
  const logical = logicalLines(text);
  for (const [k, { text: l, line }] of logical.entries()) {
    const words = splitWords(l);
    if (!words) {
      problems.push({ file, line, message: 'unbalanced "{" in service entry' });
      continue;
    }
    if (/^\s/.test(l) || words.length < 8) {
      problems.push({
        file,
        line,
        message: 'service entry needs 8 fields: service type private unpriv chroot wakeup maxproc command',
      });
      continue;
    }
    const [name, type, , , , , , command, ...rest] = words as [string, string, ...string[]];
    if (!TYPES.has(type)) {
      problems.push({ file, line, message: `unknown service type "${type.slice(0, 20)}"` });
      continue;
    }
    const { overrides, args, bad } = options(rest, line);
    const end = logical[k + 1]?.line ?? physical.length + 1;
    for (const o of overrides) o.line = overrideLine(physical, line, end, o.name);
    for (const b of bad) problems.push({ file, line, message: b });
    services.push({ name, type, command: command as string, args, overrides, file, line });
  }
  return { file, services, problems };
}

function options(
  words: string[],
  line: number,
): { overrides: ServiceOverride[]; args: string[]; bad: string[] } {
  const overrides: ServiceOverride[] = [];
  const args: string[] = [];
  const bad: string[] = [];
  for (let k = 0; k < words.length; k++) {
    const w = words[k] as string;
    let setting: string | undefined;
    if (w === '-o') setting = words[++k];
    else if (w.startsWith('-o') && w.includes('=')) setting = w.slice(2);
    else {
      args.push(w);
      continue;
    }
    const eq = setting?.indexOf('=') ?? -1;
    if (setting === undefined || eq <= 0) {
      bad.push('"-o" without "name=value"');
      continue;
    }
    overrides.push({ name: setting.slice(0, eq).trim(), raw: setting.slice(eq + 1).trim(), line });
  }
  return { overrides, args, bad };
}

/** The physical line of a `-o name=` inside the entry spanning [start, end), so findings point at it. */
function overrideLine(lines: string[], start: number, end: number, name: string): number {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`-o\\s*\\{?\\s*${esc}\\s*=`);
  for (let n = start; n < end; n++) if (re.test(lines[n - 1] ?? '')) return n;
  return start;
}
