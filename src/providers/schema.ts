/**
 * The shape of the processor catalogue (catalog.yaml). Every entry is checked at load time and by a
 * unit test, so a malformed entry fails the build instead of producing a wrong register.
 */
import { z } from 'zod';

const isoDate = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v))
  .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD'));

// Lower-case DNS names only: matching compares names label by label.
const dnsName = z
  .string()
  .regex(
    /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/,
    'expected a lower-case DNS name',
  );

/** Roles a catalogue entry can be matched in; the same keys as DNS evidence kinds. */
export const MATCH_KINDS = ['spf', 'mx', 'dkim', 'reports', 'mtaSts'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export const DpfFactSchema = z
  .object({
    status: z.enum(['certified', 'not-certified', 'not-applicable', 'unknown']),
    asOf: isoDate,
    source: z.string().url(),
  })
  .strict();

export const ProviderSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a kebab-case id'),
    name: z.string().min(1),
    legalName: z.string().min(1),
    country: z.union([
      z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 code'),
      z.literal('unknown'),
    ]),
    region: z.enum(['eea', 'adequacy', 'third-country', 'unknown']),
    dpf: DpfFactSchema,
    euResidency: z.enum(['yes', 'partial', 'no', 'unknown']),
    services: z
      .array(
        z.enum(['mailbox', 'filtering', 'sending', 'marketing', 'crm', 'helpdesk', 'reporting', 'hosting']),
      )
      .min(1),
    match: z
      .object({
        spf: z.array(dnsName).optional(),
        mx: z.array(dnsName).optional(),
        dkim: z.array(dnsName).optional(),
        reports: z.array(dnsName).optional(),
        mtaSts: z.array(dnsName).optional(),
      })
      .strict()
      .refine((m) => MATCH_KINDS.some((k) => (m[k]?.length ?? 0) > 0), 'at least one match rule is needed'),
    checked: isoDate,
    notes: z.string().optional(),
  })
  .strict();

export const CatalogSchema = z.object({ providers: z.array(ProviderSchema).min(1) }).strict();

/** One catalogued service with its facts and DNS match rules. */
export type Provider = z.infer<typeof ProviderSchema>;
/** The whole catalogue. */
export type Catalog = z.infer<typeof CatalogSchema>;
