/**
 * Processors and transfers: the catalogue, discovery from DNS and the register findings, as one
 * step the scan runs after its checks on the same DNS cache.
 */
import type { Finding } from '../core/finding.js';
import type { Config, ConfigCheck } from '../core/config.js';
import type { DomainContext } from '../domain/types.js';
import { defaultCatalog, type ProviderCatalog } from './catalog.js';
import { discoverProcessors } from './discover.js';
import { processorFindings } from './findings.js';
import { ProcessorRegister } from './register.js';
import type { DiscoveredProcessor } from './types.js';

export { defaultCatalog, ProviderCatalog } from './catalog.js';
export { ProcessorRegister } from './register.js';
export { discoverProcessors, type Discovery } from './discover.js';
export type { DiscoveredProcessor, ProcessorRole } from './types.js';

/** What a scan adds per domain: the processors found and the `processors.*` findings. */
export interface ProcessorStepResult {
  processors: DiscoveredProcessor[];
  findings: Finding[];
}

/** Builds the scan step for a configuration (and, for tests, another catalogue). */
export function processorStep(
  config: Config,
  catalog: ProviderCatalog = defaultCatalog(),
): (ctx: DomainContext) => Promise<ProcessorStepResult> {
  const register = new ProcessorRegister(catalog, config);
  return async (ctx) => {
    const { processors, dmarcRecord } = await discoverProcessors(ctx, register);
    return { processors, findings: processorFindings(ctx.domain, processors, register, dmarcRecord) };
  };
}

/** Config check: every `provider:` in the register names a catalogue entry. */
export function registerCheck(catalog: ProviderCatalog = defaultCatalog()): ConfigCheck {
  return (config) =>
    (config.processors ?? []).flatMap((p, i) =>
      p.provider && !catalog.byId.has(p.provider)
        ? [
            {
              path: ['processors', i, 'provider'],
              message: `"${p.provider}" is not in the processor catalogue (see mailcomply processors --catalog); for another processor give name and domains`,
            },
          ]
        : [],
    );
}
