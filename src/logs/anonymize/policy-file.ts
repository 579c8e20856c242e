import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_POLICY, type AnonymizePolicy } from './policy.js';
import { readOptionText } from '../../core/option-files.js';

// Kept apart from policy.ts: the schema and YAML libraries take longer to load than a whole small
// log takes to anonymise, and only a run with --policy needs them.

const PolicySchema = z
  .object({
    ip: z.enum(['truncate', 'crypto-pan', 'keep']),
    ipv4Prefix: z.number().int().min(0).max(32),
    ipv6Prefix: z.number().int().min(0).max(128),
    emailDomain: z.enum(['keep', 'hash', 'registrable']),
    users: z.boolean(),
    hosts: z.boolean(),
    redactChecks: z.boolean(),
    pseudonymPrefix: z.string().regex(/^[A-Za-z0-9._-]{0,16}$/),
    pseudonymHexDigits: z.number().int().min(8).max(64),
  })
  .partial()
  .strict();

/** Merges a policy object (from YAML or JSON) over the default; unknown keys are usage errors. */
export function parsePolicy(value: unknown, origin = 'policy'): AnonymizePolicy {
  const root =
    value && typeof value === 'object' && 'anonymize' in value
      ? (value as { anonymize: unknown }).anonymize
      : value;
  const r = PolicySchema.safeParse(root ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UsageError(`${origin}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return { ...DEFAULT_POLICY, ...r.data };
}

/** Reads `--policy FILE` (YAML; the keys may sit under `anonymize:` as in mailcomply.yaml). */
export function readPolicyFile(path: string): AnonymizePolicy {
  const text = readOptionText('--policy', path);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw new UsageError(`--policy ${path}: not valid YAML`);
  }
  return parsePolicy(doc, `--policy ${path}`);
}
