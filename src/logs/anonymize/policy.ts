import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../../core/errors.js';

/** What the anonymiser does to each kind of personal data in a log line. */
export interface AnonymizePolicy {
  /** `truncate`: IPv4 to /ipv4Prefix and IPv6 to /ipv6Prefix; `crypto-pan`: prefix-preserving (needs a key); `keep`. */
  ip: 'truncate' | 'crypto-pan' | 'keep';
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Local parts of addresses become keyed pseudonyms; the domain is kept, hashed, or reduced to its registrable part. */
  emailDomain: 'keep' | 'hash' | 'registrable';
  /** SASL, IMAP/POP and local user names become keyed pseudonyms. */
  users: boolean;
  /** Client host names (`name[ip]`) become their registrable domain. */
  hosts: boolean;
  /** header_checks / body_checks log lines lose the header or body text they quote (often a Subject). */
  redactChecks: boolean;
  /** Prefix of every pseudonym, e.g. `u-` gives `u-3f9a1c0b7e2d`. */
  pseudonymPrefix: string;
  /** Hex digits of HMAC kept; 12 (48 bits) makes collisions unlikely below millions of users. */
  pseudonymHexDigits: number;
}

export const DEFAULT_POLICY: AnonymizePolicy = {
  ip: 'truncate',
  ipv4Prefix: 24,
  ipv6Prefix: 48,
  emailDomain: 'keep',
  users: true,
  hosts: true,
  redactChecks: true,
  pseudonymPrefix: 'u-',
  pseudonymHexDigits: 12,
};

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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--policy ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw new UsageError(`--policy ${path}: not valid YAML`);
  }
  return parsePolicy(doc, `--policy ${path}`);
}
