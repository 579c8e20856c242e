import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';

/** One zone of a lab scenario: records are `NAME [TTL] TYPE RDATA` lines relative to the zone name. */
export interface ScenarioZone {
  name: string;
  signed: boolean;
  records: string;
}

/** One parsed record line, kept close to its source so the zone file says exactly what the scenario says. */
export interface RecordLine {
  name: string;
  ttl?: number;
  type: string;
  rdata: string;
}

// Same fields as the lab's scenario format, except `failures`: NSD serves what is in the zone file and
// cannot play timeouts or SERVFAILs, so a scenario that needs them does not belong on the real servers.
const zoneSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9-]+(\.[a-z0-9-]+)+$/,
        'zone name must be a lower-case multi-label name without trailing dot',
      ),
    description: z.string().optional(),
    signed: z.boolean().default(false),
    scan: z.boolean().optional(),
    expect: z.unknown().optional(),
    records: z.string(),
  })
  .strict();

const scenarioSchema = z
  .object({
    description: z.string().optional(),
    zones: z.array(zoneSchema).min(1),
  })
  .strict();

/** Default TTL for records that do not give one; short so a rerun never meets stale data. */
export const DEFAULT_TTL = 300;

// NAME [TTL] [IN] TYPE RDATA; RDATA keeps its inner spacing so quoted TXT strings survive as written.
const RECORD_LINE = /^(\S+)\s+(?:(\d+)\s+)?(?:IN\s+)?([A-Za-z][A-Za-z0-9]*)\s+(\S.*)$/;

/** Reads the zones of a lab scenario file (YAML). Throws on a malformed file: it is a test fixture. */
export async function loadScenarioZones(path: string): Promise<ScenarioZone[]> {
  const parsed = scenarioSchema.parse(parse(await readFile(path, 'utf8')));
  for (const zone of parsed.zones) parseRecords(zone.records);
  return parsed.zones.map(({ name, signed, records }) => ({ name, signed, records }));
}

/** Parses the `records` block of a scenario zone; blank lines and `;` comments are skipped. */
export function parseRecords(block: string): RecordLine[] {
  const out: RecordLine[] = [];
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    const m = RECORD_LINE.exec(line);
    if (!m) throw new Error(`malformed record line: ${JSON.stringify(line)}`);
    const [, name, ttl, type, rdata] = m;
    out.push({
      name: name as string,
      ...(ttl === undefined ? {} : { ttl: Number(ttl) }),
      type: (type as string).toUpperCase(),
      rdata: (rdata as string).trim(),
    });
  }
  return out;
}

/** Options for rendering a master file an authoritative server can load. */
export interface ZoneFileOptions {
  /** Address of the zone's name server `ns1.<zone>`, added unless the records bring their own NS. */
  nsAddress: string;
  serial?: number;
}

/**
 * Renders a scenario zone as an RFC 1035 master file: adds SOA, apex NS and its address when the
 * records lack them, and writes every scenario record as given (relative names stay relative to $ORIGIN).
 */
export function renderZoneFile(
  zone: Pick<ScenarioZone, 'name' | 'records'>,
  options: ZoneFileOptions,
): string {
  const records = parseRecords(zone.records);
  const atApex = (r: RecordLine): boolean => r.name === '@' || r.name === `${zone.name}.`;
  const lines = [`$ORIGIN ${zone.name}.`, `$TTL ${DEFAULT_TTL}`];
  if (!records.some((r) => atApex(r) && r.type === 'SOA')) {
    lines.push(`@ IN SOA ns1 hostmaster ${options.serial ?? 1} 3600 600 86400 ${DEFAULT_TTL}`);
  }
  if (!records.some((r) => atApex(r) && r.type === 'NS')) {
    lines.push('@ IN NS ns1');
    if (!records.some((r) => r.name === 'ns1' && r.type === 'A')) lines.push(`ns1 IN A ${options.nsAddress}`);
  }
  for (const r of records) {
    lines.push([r.name, r.ttl ?? DEFAULT_TTL, 'IN', r.type, r.rdata].join(' '));
  }
  return `${lines.join('\n')}\n`;
}
