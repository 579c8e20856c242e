import { expand } from './expand.js';
import type { MainCf } from './main-cf.js';
import type { MasterCf } from './master-cf.js';
import type { MasterService } from './types.js';

/** Everything the audit knows about one Postfix instance. */
export interface PostfixConfig {
  configDir: string;
  main: MainCf;
  master: MasterCf;
  /** Built-in defaults: from `postconf -d` when it ran, else the built-in table. */
  defaults: ReadonlyMap<string, string>;
  /** Reads a lookup table file named in the config (header_checks), or undefined when unreadable. */
  readMap?: (path: string) => string | undefined;
}

/** One parameter as a service sees it: expanded value and where it was set. */
export interface Setting {
  name: string;
  /** Value as written (or as the default reads) before expansion. */
  raw: string;
  /** Value after `$name` expansion in this service's context. */
  value: string;
  /** `default`, `main.cf` or `master.cf` (a `-o` override on this service). */
  origin: 'default' | 'main.cf' | 'master.cf';
  file: string;
  line: number;
  /** Why expansion stopped early, when it did. */
  problem?: string;
}

/** Identifies a service the way `postconf -P` does: `name/type`. */
export function serviceKey(s: MasterService): string {
  return `${s.name}/${s.type}`;
}

/**
 * The value of `name` as `service` sees it (or main.cf alone when no service): `-o` overrides first,
 * then main.cf, then the defaults, expanded with the same precedence, and `$service_name` set.
 */
export function setting(cfg: PostfixConfig, name: string, service?: MasterService): Setting {
  const lookup = (n: string): string | undefined => {
    if (service && n === 'service_name') return service.name;
    const o = service ? lastOverride(service, n) : undefined;
    if (o) return o.raw;
    const m = cfg.main.params.get(n)?.raw;
    // `postfix -c DIR` runs with config_directory = DIR whatever the compiled-in default says.
    if (m === undefined && n === 'config_directory') return cfg.configDir;
    return m ?? cfg.defaults.get(n);
  };
  const raw = lookup(name) ?? '';
  const { value, problem } = expand(raw, lookup);
  const o = service ? lastOverride(service, name) : undefined;
  const m = cfg.main.params.get(name);
  const where: Pick<Setting, 'origin' | 'file' | 'line'> = o
    ? { origin: 'master.cf', file: cfg.master.file, line: o.line }
    : m
      ? { origin: 'main.cf', file: m.file, line: m.line }
      : { origin: 'default', file: cfg.main.file, line: 0 };
  return { name, raw, value: value.trim(), ...where, ...(problem ? { problem } : {}) };
}

function lastOverride(service: MasterService, name: string) {
  let found: MasterService['overrides'][number] | undefined;
  for (const o of service.overrides) if (o.name === name) found = o;
  return found;
}

/** Splits a Postfix list value (commas and/or whitespace). */
export function listItems(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** True for Postfix boolean `yes` (case-insensitive), the way Postfix reads it. */
export function isYes(value: string): boolean {
  return /^(yes|true|1)$/i.test(value.trim());
}

/** Postfix time values (`5d`, `4h`, `30m`, `3600s`, `1w`, bare number = default unit) in seconds. */
export function seconds(value: string, defaultUnit: 's' | 'h' | 'd' = 's'): number | undefined {
  const m = /^(\d+)([smhdw]?)$/.exec(value.trim());
  if (!m) return undefined;
  const unit = (m[2] || defaultUnit) as 's' | 'm' | 'h' | 'd' | 'w';
  const mult = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[unit];
  return Number(m[1]) * mult;
}
