/**
 * Loads the processor catalogue shipped as data (catalog.yaml beside this module; the build copies
 * it into dist/providers/) and matches DNS names against its rules.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MailcomplyError } from '../core/errors.js';
import { regionOf } from './regions.js';
import { CatalogSchema, MATCH_KINDS, type Catalog, type MatchKind, type Provider } from './schema.js';

/** Where the shipped catalogue lives. */
export const CATALOG_URL = new URL('./catalog.yaml', import.meta.url);

/** Validates catalogue text; throws naming the entry and field of the first problem. */
export function parseCatalog(text: string, source = 'catalog.yaml'): Catalog {
  const result = CatalogSchema.safeParse(parse(text));
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.map(String).join('.') ?? '';
    throw new MailcomplyError('E_CONFIG', `${source}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const problems = catalogProblems(result.data);
  if (problems.length > 0) throw new MailcomplyError('E_CONFIG', `${source}: ${problems.join('; ')}`);
  return result.data;
}

/** Consistency rules a schema cannot express: unique ids, region agreeing with country, DPF only for US. */
export function catalogProblems(c: Catalog): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of c.providers) {
    if (seen.has(p.id)) out.push(`${p.id}: duplicate id`);
    seen.add(p.id);
    const expected = p.country === 'unknown' ? 'unknown' : regionOf(p.country);
    if (p.region !== expected) out.push(`${p.id}: region ${p.region} but ${p.country} is ${expected}`);
    if (p.dpf.status === 'certified' && p.country !== 'US')
      out.push(`${p.id}: only U.S. organisations can be DPF-certified`);
  }
  return out;
}

let shipped: ProviderCatalog | undefined;

/** The shipped catalogue, loaded and validated once. */
export function defaultCatalog(): ProviderCatalog {
  shipped ??= new ProviderCatalog(parseCatalog(readFileSync(CATALOG_URL, 'utf8')).providers);
  return shipped;
}

/** The catalogue entry a name matched, and the rule that matched it. */
export interface CatalogMatch {
  provider: Provider;
  kind: MatchKind;
  rule: string;
}

/** True when `name` is `suffix` or a subdomain of it. */
export function isWithin(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

/** Catalogue entries indexed for matching. */
export class ProviderCatalog {
  readonly byId: ReadonlyMap<string, Provider>;
  constructor(readonly providers: readonly Provider[]) {
    this.byId = new Map(providers.map((p) => [p.id, p]));
  }

  /**
   * The entry whose rule of `kind` covers `name` (longest rule wins); failing that, a rule of any
   * other kind, since providers reuse their domains across roles.
   */
  match(name: string, kind: MatchKind): CatalogMatch | undefined {
    const n = name.replace(/\.$/, '').toLowerCase();
    return (
      this.best(n, [kind]) ??
      this.best(
        n,
        MATCH_KINDS.filter((k) => k !== kind),
      )
    );
  }

  private best(name: string, kinds: readonly MatchKind[]): CatalogMatch | undefined {
    let found: CatalogMatch | undefined;
    for (const provider of this.providers) {
      for (const kind of kinds) {
        for (const rule of provider.match[kind] ?? []) {
          if (isWithin(name, rule) && (!found || rule.length > found.rule.length))
            found = { provider, kind, rule };
        }
      }
    }
    return found;
  }
}
