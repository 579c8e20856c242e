/**
 * Identifies a DNS name seen in a domain's records: the organisation's own, a processor declared in
 * mailcomply.yaml, a catalogued provider, or an unidentified third party (by registrable domain).
 */
import type { Config, ProcessorDecl } from '../core/config.js';
import { orgDomain } from '../domain/dmarc/uri.js';
import { isWithin, type ProviderCatalog } from './catalog.js';
import { regionOf } from './regions.js';
import type { MatchKind } from './schema.js';
import type { DeclaredFacts, DiscoveredProcessor } from './types.js';

/** A processor's identity without the per-domain roles and evidence. */
export type ProcessorIdentity = Omit<DiscoveredProcessor, 'roles' | 'evidence'>;

/** The catalogue and the organisation's register, as discovery and the findings need them. */
export class ProcessorRegister {
  private readonly own: string[];
  private readonly internal: string[];
  constructor(
    readonly catalog: ProviderCatalog,
    readonly config: Config,
  ) {
    const lower = (zones: string[] | undefined) => (zones ?? []).map((z) => z.toLowerCase());
    this.own = lower(config.organisation?.domains);
    // Internal-only zones are the organisation's too: never third parties.
    this.internal = [...this.own, ...lower(config.organisation?.internalZones)];
  }

  /** True when the organisation keeps a register (a `processors:` list, even an empty one). */
  get hasRegister(): boolean {
    return this.config.processors !== undefined;
  }

  /**
   * Declarations that apply to `domain`: those whose scope names it (or a parent); those without a
   * scope apply to the organisation's domains (organisation.domains), or to every domain when
   * none are listed.
   */
  declarationsFor(domain: string): { decl: ProcessorDecl; entry: number }[] {
    const ours = this.own.length === 0 || this.own.some((z) => isWithin(domain, z));
    return (this.config.processors ?? [])
      .map((decl, entry) => ({ decl, entry }))
      .filter(({ decl }) => (decl.scope ? decl.scope.some((s) => isWithin(domain, s)) : ours));
  }

  /** True for names the scanned domain's organisation runs itself. */
  isInternal(name: string, domain: string): boolean {
    const n = name.replace(/\.$/, '').toLowerCase();
    return orgDomain(n) === orgDomain(domain) || this.internal.some((z) => isWithin(n, z));
  }

  /** Who `name` belongs to, or `undefined` when it is the organisation's own. */
  identify(name: string, kind: MatchKind, domain: string): ProcessorIdentity | undefined {
    const n = name.replace(/\.$/, '').toLowerCase();
    if (this.isInternal(n, domain)) return undefined;
    const decls = this.declarationsFor(domain);
    const custom = decls.find(({ decl }) => !decl.provider && decl.domains?.some((d) => isWithin(n, d)));
    if (custom) {
      const country = custom.decl.country ?? 'unknown';
      return {
        key: `declared:${custom.entry}`,
        identified: true,
        name: custom.decl.name ?? n,
        legalName: custom.decl.name ?? 'unknown',
        country,
        region: country === 'unknown' ? 'unknown' : regionOf(country),
        declared: facts(custom.decl, custom.entry),
      };
    }
    const m = this.catalog.match(n, kind);
    if (m) {
      const p = m.provider;
      const decl = decls.find(({ decl }) => decl.provider === p.id);
      const country = decl?.decl.country ?? p.country;
      return {
        key: p.id,
        identified: true,
        provider: p.id,
        name: p.name,
        legalName: p.legalName,
        country,
        region: decl?.decl.country ? regionOf(country) : p.region,
        dpf: p.dpf,
        euResidency: p.euResidency,
        checked: p.checked,
        ...(decl ? { declared: facts(decl.decl, decl.entry) } : {}),
      };
    }
    const registrable = orgDomain(n);
    return {
      key: `unidentified:${registrable}`,
      identified: false,
      name: `unidentified third party (${registrable})`,
      legalName: 'unknown',
      country: 'unknown',
      region: 'unknown',
      registrableDomain: registrable,
    };
  }
}

function facts(decl: ProcessorDecl, entry: number): DeclaredFacts {
  return {
    entry,
    ...(decl.dpa ? { dpa: decl.dpa } : {}),
    ...(decl.transfer ? { transfer: decl.transfer } : {}),
    ...(decl.tia ? { tia: decl.tia } : {}),
    ...(decl.purpose ? { purpose: decl.purpose } : {}),
  };
}
