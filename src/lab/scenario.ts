import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar } from 'yaml';
import { z } from 'zod';
import { InputError, MailcomplyError } from '../core/errors.js';
import { toAsciiDomain } from '../dns/name.js';
import { absoluteName, parsePresentation } from '../dns/presentation.js';
import type { DnsRecord } from '../dns/types.js';
import type { FailureMode, ZoneData } from '../dns/zone-data.js';
import { LAB_HTTPS_BEHAVIOURS } from './https-server.js';
import { LAB_SMTP_PROFILES } from './smtp-servers.js';
import type { LabAccessProfile } from './access-servers.js';
import type { LabAccessSpec, LabMtaStsSpec, LabSmtpSpec, LabTlsaMode } from './transport.js';

/** One zone of a lab scenario, resolved: absolute lower-case names, parsed records. */
export interface ScenarioZone {
  /** Zone apex, ASCII lower case, no trailing dot. */
  name: string;
  description?: string;
  /** Answers at or under this zone carry AD. */
  signed: boolean;
  /** Whether the zone is one of the scenario's scan targets (false for helper zones). */
  scan: boolean;
  /** Free-form expectations, for documentation and tests. */
  expect?: unknown;
  /** Absolute name -> how queries for it fail. */
  failures: Record<string, FailureMode>;
  records: DnsRecord[];
  /** Lab SMTP servers for MX hosts, with absolute host names (none when absent). */
  smtp?: LabSmtpSpec[];
  /** The MTA-STS site served at mta-sts.<zone>. */
  mtaSts?: LabMtaStsSpec;
  /** Lab submission/IMAP/POP3 servers, with absolute host names. */
  access?: LabAccessSpec[];
}

/** A lab scenario: its zones, all of them merged for the lab resolver, and the domains to scan. */
export interface Scenario {
  description: string;
  zones: ScenarioZone[];
  zone: ZoneData;
  scanDomains: string[];
}

const failureMode = z.enum(['timeout', 'servfail', 'refused', 'malformed']);
const TLSA_MODES = ['none', 'match', 'match-ee-only', 'mismatch'] as const satisfies readonly LabTlsaMode[];
const smtpProfile = z.enum(LAB_SMTP_PROFILES);
const smtpServer = z.union([
  smtpProfile,
  z.object({ profile: smtpProfile, tlsa: z.enum(TLSA_MODES).default('none') }).strict(),
]);
const httpsBehaviour = z.enum(LAB_HTTPS_BEHAVIOURS);
const ACCESS_PROFILES = [
  'imap-good',
  'imap-plaintext',
  'submission-good',
  'submission-plain-auth',
  'pop3-good',
  'pop3-plaintext',
] as const satisfies readonly LabAccessProfile[];
const mtaStsSite = z.union([
  httpsBehaviour,
  z.object({ behaviour: httpsBehaviour, policy: z.string().optional() }).strict(),
]);

const zoneSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    signed: z.boolean().default(false),
    scan: z.boolean().default(true),
    expect: z.unknown().optional(),
    failures: z.record(z.string(), failureMode).optional(),
    records: z.string().default(''),
    /** MX host (relative or absolute) -> lab SMTP server profile. */
    smtp: z.record(z.string(), smtpServer).optional(),
    /** How https://mta-sts.<zone>/.well-known/mta-sts.txt behaves. */
    mtaSts: mtaStsSite.optional(),
    /** Host (relative or absolute) -> lab submission/IMAP/POP3 server profiles. */
    access: z.record(z.string(), z.array(z.enum(ACCESS_PROFILES))).optional(),
  })
  .strict();

const scenarioSchema = z
  .object({
    description: z.string().default(''),
    zones: z.array(zoneSchema).min(1, 'a scenario needs at least one zone'),
  })
  .strict();

/**
 * Reads and validates a scenario YAML file.
 * @throws MailcomplyError E_IO when the file cannot be read; InputError naming the file, zone and line otherwise.
 */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unknown error';
    throw new MailcomplyError('E_IO', `${path}: cannot read the scenario file (${code})`, { cause: err });
  }
  return parseScenario(text, path);
}

/**
 * Parses and validates scenario YAML; `source` names it in error messages (usually the file path).
 * @throws InputError naming the source, the zone and, for records, the line.
 */
export function parseScenario(text: string, source: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // The first line says what and where; the rest quotes the file, which stays out of messages.
    const what = yamlError.message.split('\n')[0]?.replace(/:$/, '') ?? yamlError.code;
    throw new InputError(`${source}: not valid YAML: ${what}`);
  }
  const raw = doc.toJS() as unknown;
  const checked = scenarioSchema.safeParse(raw);
  if (!checked.success) {
    throw new InputError(`${source}: ${describeIssue(checked.error.issues[0], raw)}`);
  }
  const zones = checked.data.zones.map((zone, i) => {
    const where = `${source}: zone "${zone.name}"`;
    const name = toAsciiDomain(zone.name);
    if (!name.ok) throw new InputError(`${where}: ${name.reason}`);
    let records: DnsRecord[];
    try {
      records = parsePresentation(zone.records, name.domain);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const offset = recordsLineOffset(doc, lineCounter, i);
      const message = err.message.replace(/^line (\d+):/, (_m, n: string) =>
        offset === undefined ? `records line ${n}:` : `records line ${n} (file line ${Number(n) + offset}):`,
      );
      throw new InputError(`${where}: ${message}`, { cause: err });
    }
    const failures: Record<string, FailureMode> = {};
    for (const [key, mode] of Object.entries(zone.failures ?? {})) {
      try {
        failures[absoluteName(key, name.domain)] = mode;
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        throw new InputError(`${where}: failures: ${err.message}`, { cause: err });
      }
    }
    const hostName = (field: string, key: string): string => {
      try {
        return absoluteName(key, name.domain);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        throw new InputError(`${where}: ${field}: ${err.message}`, { cause: err });
      }
    };
    const smtp: LabSmtpSpec[] = Object.entries(zone.smtp ?? {}).map(([key, server]) => {
      const host = hostName('smtp', key);
      return typeof server === 'string' ? { host, profile: server, tlsa: 'none' } : { host, ...server };
    });
    const out: ScenarioZone = {
      name: name.domain,
      signed: zone.signed,
      scan: zone.scan,
      failures,
      records,
      smtp,
    };
    if (zone.access !== undefined) {
      out.access = Object.entries(zone.access).map(([key, profiles]) => ({
        host: hostName('access', key),
        profiles,
      }));
    }
    if (zone.mtaSts !== undefined) {
      out.mtaSts =
        typeof zone.mtaSts === 'string'
          ? { domain: name.domain, behaviour: zone.mtaSts }
          : { domain: name.domain, ...zone.mtaSts };
    }
    if (zone.description !== undefined) out.description = zone.description;
    if (zone.expect !== undefined) out.expect = zone.expect;
    return out;
  });
  try {
    return buildScenario(zones, checked.data.description);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${source}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Merges resolved zones into a scenario: one ZoneData for the lab resolver (records, signed
 * apexes, failures) and the list of domains to scan, in zone order.
 * @throws InputError when two zones have the same name.
 */
export function buildScenario(zones: ScenarioZone[], description = ''): Scenario {
  const seen = new Set<string>();
  const records: DnsRecord[] = [];
  const signedZones: string[] = [];
  const failures: Record<string, FailureMode> = {};
  for (const zone of zones) {
    if (seen.has(zone.name)) throw new InputError(`zone "${zone.name}" is defined twice`);
    seen.add(zone.name);
    for (const r of zone.records) records.push(r);
    if (zone.signed) signedZones.push(zone.name);
    Object.assign(failures, zone.failures);
  }
  return {
    description,
    zones,
    zone: { records, signedZones, failures },
    scanDomains: zones.filter((z) => z.scan).map((z) => z.name),
  };
}

function describeIssue(issue: z.core.$ZodIssue | undefined, raw: unknown): string {
  if (!issue) return 'invalid scenario';
  const path = [...issue.path];
  let where = '';
  if (path[0] === 'zones' && typeof path[1] === 'number') {
    const name = (raw as { zones?: { name?: unknown }[] } | null)?.zones?.[path[1]]?.name;
    where = typeof name === 'string' ? `zone "${name}"` : `zone #${path[1] + 1}`;
    path.splice(0, 2);
  }
  const field = path.map(String).join('.');
  return [where, field, issue.message].filter((s) => s !== '').join(': ');
}

/** Lines between the start of the file and the first line of a zone's block-literal `records`. */
function recordsLineOffset(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  zoneIndex: number,
): number | undefined {
  const zones = doc.get('zones', true);
  if (!isSeq(zones)) return undefined;
  const zone = zones.items[zoneIndex];
  if (!isMap(zone)) return undefined;
  const node = zone.get('records', true);
  if (!isScalar(node) || !node.range) return undefined;
  const line = lineCounter.linePos(node.range[0]).line;
  // A block literal starts on the line after its `|` indicator and keeps its lines one for one.
  if (node.type === Scalar.BLOCK_LITERAL) return line;
  // A one-line scalar starts where it stands; folded or multi-line quoted text has no line mapping.
  return typeof node.value === 'string' && !node.value.includes('\n') && node.type !== Scalar.BLOCK_FOLDED
    ? line - 1
    : undefined;
}
