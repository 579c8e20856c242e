/**
 * The `retention` section of mailcomply.yaml: which stores hold personal data, how long it may stay
 * (Art. 5(1)(e) storage limitation) and what happens after that.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../core/evidence-chain.js';

/** Store kinds the engine knows how to age and purge. */
export const STORE_TYPES = ['log', 'maildir', 'archive', 'postfix-queue'] as const;
export type StoreType = (typeof STORE_TYPES)[number];

const DURATION = /^(\d{1,6})(h|d|w|y)$/;
const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 } as const;

/** Milliseconds in a duration such as `90d`, `12w`, `1y`, `36h` (years are 365 days). */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = z
  .string()
  .regex(DURATION, 'expected a duration such as 30d, 12w, 1y or 36h')
  .refine((s) => !DURATION.test(s) || parseDuration(s) > 0, 'must be longer than zero');

const StoreSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a short id such as mail-log or junk')
      .describe('Short id of the store, used in plans and evidence'),
    type: z
      .enum(STORE_TYPES)
      .describe(
        'log: a log file and its rotated siblings; maildir: a Maildir folder; archive: a folder of .eml files; postfix-queue: the Postfix queue',
      ),
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        'log: the live log file (siblings such as mail.log.1 and mail.log.2.gz are found beside it); maildir/archive: the folder; postfix-queue: a Postfix config directory (postqueue -c), optional',
      ),
    maxAge: duration.describe(
      'How long data may be kept, from its content time (log timestamps, message delivery time or Date:)',
    ),
    action: z
      .enum(['delete', 'anonymize'])
      .default('delete')
      .describe('delete, or anonymize (log stores only: pseudonymise in place)'),
    queues: z
      .array(z.enum(['incoming', 'active', 'deferred', 'hold', 'maildrop', 'corrupt']))
      .optional()
      .describe('postfix-queue: which queues to purge (default: deferred and hold)'),
  })
  .strict()
  .refine((s) => s.action === 'delete' || s.type === 'log', {
    message: 'action anonymize is only possible for log stores',
    path: ['action'],
  })
  .refine((s) => s.type === 'postfix-queue' || s.path !== undefined, {
    message: 'path is required for this store type',
    path: ['path'],
  });

/** The retention section of the configuration. */
export const RetentionSchema = z
  .object({
    evidence: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Append-only, hash-chained evidence file (default: /var/lib/mailcomply/retention-evidence.jsonl)',
      ),
    evidenceKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe('Secret (32+ bytes) that signs evidence records with HMAC-SHA256'),
    anonymizeKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe('Key file for the anonymize action (`mailcomply logs keygen`)'),
    stores: z
      .array(StoreSchema)
      .min(1)
      .describe('The stores that hold personal data, each with its maximum age'),
  })
  .strict()
  .refine((r) => new Set(r.stores.map((s) => s.name)).size === r.stores.length, {
    message: 'store names must be unique',
    path: ['stores'],
  });

/** A store as declared. */
export type StoreDecl = z.infer<typeof StoreSchema>;
/** The retention policy as declared. */
export type RetentionPolicy = z.infer<typeof RetentionSchema>;

/** Where evidence goes when the policy does not say. */
export const DEFAULT_EVIDENCE_FILE = '/var/lib/mailcomply/retention-evidence.jsonl';

/** sha256 of the policy's canonical JSON: evidence names the exact rules it was applied under. */
export function policyHash(policy: RetentionPolicy): string {
  return createHash('sha256').update(canonicalJson(policy)).digest('hex');
}

/** Relative paths in the policy are relative to the configuration file's folder, as an admin expects. */
export function resolvePolicyPaths(policy: RetentionPolicy, baseDir: string): RetentionPolicy {
  const abs = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : resolve(baseDir, p);
  return {
    ...policy,
    ...(policy.evidence ? { evidence: abs(policy.evidence) } : {}),
    ...(policy.evidenceKeyFile ? { evidenceKeyFile: abs(policy.evidenceKeyFile) } : {}),
    ...(policy.anonymizeKeyFile ? { anonymizeKeyFile: abs(policy.anonymizeKeyFile) } : {}),
    stores: policy.stores.map((s) => (s.path === undefined ? s : { ...s, path: abs(s.path)! })),
  };
}
