import { fileURLToPath } from 'node:url';
import type { StackZone } from './dns-stack.js';
import { fromScenario } from './dns-stack.js';
import type { ScenarioZone } from './zones.js';
import { loadScenarioZones } from './zones.js';

/** The one source of truth for the records served by both the lab and NSD. */
export const ZONES_YAML = fileURLToPath(new URL('./zones.yaml', import.meta.url));

export const SIGNED = 'signed.example';
export const UNSIGNED = 'unsigned.example';
/** Same records as the signed zone, but signed with expired signatures: a validator must reject it. */
export const BOGUS = 'bogus.example';

/** The scenario zones plus the bogus zone, ready for startDnsStack. */
export async function systemZones(): Promise<{ scenario: ScenarioZone[]; stack: StackZone[] }> {
  const scenario = await loadScenarioZones(ZONES_YAML);
  const signed = scenario.find((z) => z.name === SIGNED);
  if (!signed || !scenario.some((z) => z.name === UNSIGNED)) {
    throw new Error(`${ZONES_YAML} must define ${SIGNED} and ${UNSIGNED}`);
  }
  // Relative names keep the copy inside bogus.example; only the report addresses still name the
  // signed zone, which no test reads from the bogus one.
  const bogus: StackZone = { name: BOGUS, records: signed.records, signing: 'expired' };
  return { scenario, stack: [...scenario.map(fromScenario), bogus] };
}
