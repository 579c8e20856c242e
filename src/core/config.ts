/**
 * The organisation's `mailcomply.yaml`: who the organisation is and what it has declared (its
 * processor register today; retention and sources later). Found with `--config FILE`, else
 * `./mailcomply.yaml`; validated with zod, and the same schema is published as JSON Schema
 * (schemas/mailcomply-config.schema.json). Errors name the file, the line and the field.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import { z } from 'zod';
import { RetentionSchema } from '../retention/policy.js';
import { UsageError } from './errors.js';
import { readOptionText } from './option-files.js';

/** The file looked for in the working directory when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = 'mailcomply.yaml';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const domainName = z
  .string()
  .regex(
    /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/,
    'expected a lower-case domain name',
  );

/** Art. 44-49 bases a transfer outside the EEA can rest on, or `none` when there is none. */
export const TRANSFER_MECHANISMS = ['adequacy', 'dpf', 'scc', 'bcr', 'derogation', 'none'] as const;
export type TransferMechanism = (typeof TRANSFER_MECHANISMS)[number];

const ProcessorDeclSchema = z
  .object({
    provider: z
      .string()
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a catalogue id such as google-workspace')
      .optional()
      .describe('Catalogue id (see `mailcomply processors --catalog`)'),
    name: z.string().min(1).optional().describe('Name of a processor not in the catalogue'),
    domains: z
      .array(domainName)
      .optional()
      .describe('Domains that identify the processor in DNS (SPF, MX, DKIM, report addresses)'),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 code such as DE')
      .optional()
      .describe('Where the processor processes the data, when it differs from the catalogue'),
    purpose: z.string().optional().describe('What it does for the organisation'),
    dpa: date.optional().describe('Date the Art. 28 data processing agreement was signed'),
    transfer: z.enum(TRANSFER_MECHANISMS).optional().describe('Art. 44-49 transfer mechanism'),
    tia: z.enum(['done', 'pending', 'not-required']).optional().describe('Transfer impact assessment status'),
    scope: z
      .array(domainName)
      .optional()
      .describe(
        'Which of the organisation\u2019s domains it serves (default: organisation.internalZones, else all)',
      ),
    inDns: z
      .boolean()
      .optional()
      .describe(
        'false for processors that never appear in DNS (archiving, backup): never reported as unseen',
      ),
    notes: z.string().optional(),
  })
  .strict()
  .refine((p) => p.provider !== undefined || (p.name !== undefined && (p.domains?.length ?? 0) > 0), {
    message: 'give either provider (a catalogue id) or name and domains',
  });

/** The mailcomply.yaml schema; new sections are added here as optional keys. */
export const ConfigSchema = z
  .object({
    version: z.literal(1).optional().describe('Configuration format version'),
    organisation: z
      .object({
        name: z.string().min(1).optional(),
        domains: z
          .array(domainName)
          .optional()
          .describe(
            'The organisation\u2019s own mail domains: never reported as third parties; register entries without a scope apply to them',
          ),
        internalZones: z
          .array(domainName)
          .optional()
          .describe(
            'DNS zones used only inside the organisation (e.g. corp.example.com): names under them in headers, bounces and logs are internal; never reported as third parties',
          ),
      })
      .strict()
      .optional(),
    processors: z
      .array(ProcessorDeclSchema)
      .optional()
      .describe('The declared processor register (Art. 28, 30)'),
    retention: RetentionSchema.optional().describe('Retention policy: stores, maximum ages, actions'),
    sources: z
      .array(
        z
          .object({
            type: z.enum(['maildir', 'mbox', 'eml-dir', 'imap', 'log']).describe('How the store is read'),
            kind: z
              .enum(['mailbox', 'sent', 'archive', 'quarantine', 'log'])
              .optional()
              .describe('What the store holds (default: log for logs, mailbox otherwise)'),
            path: z.string().min(1).optional().describe('Folder or file (maildir, mbox, eml-dir, log)'),
            url: z.string().min(1).optional().describe('imap(s)://user@host:port/ (no password here)'),
          })
          .strict()
          .refine((s) => (s.type === 'imap' ? s.url !== undefined : s.path !== undefined), {
            message: 'imap sources need url, the others path',
          }),
      )
      .optional()
      .describe('Mail stores and logs searched by `dsar find` and `dsar export` (Art. 15-17)'),
  })
  .strict();

/** A processor as declared in mailcomply.yaml. */
export type ProcessorDecl = z.infer<typeof ProcessorDeclSchema>;
/** The parsed configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** A configuration and where it came from (`undefined` when no file exists). */
export interface LoadedConfig {
  path?: string;
  config: Config;
}

/** The JSON Schema of mailcomply.yaml, as published in schemas/mailcomply-config.schema.json. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { target: 'draft-2020-12' }),
    $id: 'https://mailcomply.dev/schemas/mailcomply-config.schema.json',
    title: 'mailcomply.yaml',
  };
}

/** A problem found by a check beyond the schema (e.g. an unknown catalogue id), at a path in the file. */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/** A check a command adds to the schema: the processors command checks catalogue ids. */
export type ConfigCheck = (config: Config) => ConfigProblem[];

/**
 * Parses configuration text; a problem (schema or `checks`) is a UsageError naming `file:line` and
 * the field.
 */
export function parseConfig(text: string, file: string, checks: readonly ConfigCheck[] = []): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line;
    const message = syntax.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`${file}${line ? `:${line}` : ''}: YAML syntax error: ${message}`);
  }
  let data: unknown;
  try {
    // toJS resolves aliases; an unknown alias or an alias bomb (beyond maxAliasCount) throws here.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new UsageError(`${file}: YAML cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fail = (path: readonly PropertyKey[], message: string): never => {
    const field = path.length ? fieldName(path) : '(top level)';
    const line = lineOf(doc.contents, path, lines);
    throw new UsageError(`${file}${line ? `:${line}` : ''}: ${field}: ${message}`);
  };
  const result = ConfigSchema.safeParse(data ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    // An unknown key is reported at the key itself, so the line points at the typo.
    const extra = issue?.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
    return fail([...(issue?.path ?? []), ...extra], issue?.message ?? 'invalid');
  }
  for (const check of checks) {
    const problem = check(result.data)[0];
    if (problem) fail(problem.path, problem.message);
  }
  return result.data;
}

/**
 * Loads `explicit` (from `--config`; a missing file is a usage error), else `./mailcomply.yaml`
 * when it exists, else an empty configuration.
 */
export function loadConfig(
  explicit?: string,
  cwd = process.cwd(),
  checks: readonly ConfigCheck[] = [],
): LoadedConfig {
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!explicit && !existsSync(path)) return { config: {} };
  const text = readOptionText('--config', path, explicit ?? path);
  return { path, config: parseConfig(text, explicit ?? DEFAULT_CONFIG_FILE, checks) };
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Line of the deepest node on `path` that exists: a map entry's key line, a list item's own line. */
function lineOf(root: unknown, path: readonly PropertyKey[], lines: LineCounter): number | undefined {
  let node: unknown = root;
  let offset = isNode(root) ? root.range?.[0] : undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      offset = (isNode(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item: unknown = node.items[key];
      if (!isNode(item)) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

/** Loads the configuration named by the global `--config` option of a (commander) command. */
export function commandConfig(
  cmd: { optsWithGlobals(): Record<string, unknown> },
  checks: readonly ConfigCheck[] = [],
): LoadedConfig {
  const file = cmd.optsWithGlobals().config;
  return loadConfig(typeof file === 'string' ? file : undefined, process.cwd(), checks);
}
