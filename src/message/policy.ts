import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError, MailcomplyError } from '../core/errors.js';
import { normaliseZones } from './internal.js';

/** What the sanitiser does with one header field. */
export type HeaderAction = 'keep' | 'remove' | 'redact' | 'pseudonymise';
export const HEADER_ACTIONS: readonly HeaderAction[] = ['keep', 'remove', 'redact', 'pseudonymise'];

/** Which Received hops get their from-clause rewritten. */
export type ReceivedRewrite = 'none' | 'internal' | 'internal-and-client';

/** A validated sanitiser policy (schemas/header-policy.schema.json describes the YAML form). */
export interface HeaderPolicy {
  version: 1;
  /** Action for fields no rule names. */
  default: HeaderAction;
  /** Rules in file order; `prefix` rules came from a trailing `*`. Names are lower case. */
  rules: { name: string; prefix: boolean; action: HeaderAction }[];
  received: { rewrite: ReceivedRewrite; replacement: string };
  /** DNS zones whose names are internal, besides the built-in `.local`, `.lan`, ... */
  internalZones: string[];
  /** Text that replaces redacted values or tokens. */
  redactText: string;
}

const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]+\*?$/;
const action = z.enum(['keep', 'remove', 'redact', 'pseudonymise']);

const policySchema = z
  .object({
    version: z.literal(1),
    default: action.default('keep'),
    headers: z
      .record(
        z.string().regex(HEADER_NAME, 'header name (printable ASCII without ":", optional trailing *)'),
        action,
      )
      .default({}),
    received: z
      .object({
        rewrite: z.enum(['none', 'internal', 'internal-and-client']).default('internal-and-client'),
        replacement: z
          .string()
          .regex(/^[A-Za-z0-9.[\]:_-]{1,253}$/, 'a host name or [address] literal')
          .default('redacted.invalid'),
      })
      .strict()
      .default({ rewrite: 'internal-and-client', replacement: 'redacted.invalid' }),
    internalZones: z
      .array(z.string().regex(/^\.?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/, 'a DNS zone name'))
      .default([]),
    redactText: z
      .string()
      .regex(/^[\x20-\x7e]{1,200}$/, 'printable ASCII, 1-200 characters')
      .default('[redacted]'),
  })
  .strict();

function compile(input: z.output<typeof policySchema>): HeaderPolicy {
  const rules = Object.entries(input.headers).map(([n, a]) => {
    const prefix = n.endsWith('*');
    return { name: (prefix ? n.slice(0, -1) : n).toLowerCase(), prefix, action: a };
  });
  return {
    version: 1,
    default: input.default,
    rules,
    received: input.received,
    internalZones: normaliseZones(input.internalZones),
    redactText: input.redactText,
  };
}

/** The policy used when none is given: drop client software and IP headers, rewrite internal hops. */
export const DEFAULT_POLICY_YAML = `# mailcomply header policy (schemas/header-policy.schema.json)
version: 1
default: keep
headers:
  User-Agent: remove
  X-Mailer: remove
  X-MimeOLE: remove
  X-Newsreader: remove
  X-Originating-IP: remove
  X-Forwarded-For: remove
  X-Client-IP: remove
  X-Real-IP: remove
  X-Sender-IP: remove
  X-Originating-Client: remove
  X-Authenticated-Sender: remove
  X-Authenticated-User: remove
  X-AntiAbuse: remove
  X-Source-IP: remove
  X-MS-Exchange-Organization-*: remove
  X-MS-Exchange-CrossTenant-Originating-IP*: remove
received:
  rewrite: internal-and-client
  replacement: redacted.invalid
`;

/** The built-in default policy. */
export function defaultHeaderPolicy(): HeaderPolicy {
  return parseHeaderPolicy(DEFAULT_POLICY_YAML, '<built-in policy>');
}

/**
 * Parses and validates policy YAML. Errors name the source, the line and the field.
 * @throws InputError on invalid YAML or a field that fails the schema.
 */
export function parseHeaderPolicy(text: string, source: string): HeaderPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line } = lineCounter.linePos(e.pos[0]);
    throw new InputError(`${source}: line ${line}: invalid YAML (${e.code})`);
  }
  const raw: unknown = doc.toJS();
  const checked = policySchema.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const path = issue.path.map(String);
    let node: unknown = path.length ? doc.getIn(path, true) : doc.contents;
    // For an unknown or misspelt key, point at the nearest existing parent.
    for (let n = path.length - 1; !isNode(node) && n >= 0; n--) node = doc.getIn(path.slice(0, n), true);
    const range = isNode(node) ? node.range : undefined;
    const where = range ? `line ${lineCounter.linePos(range[0]).line}: ` : '';
    const field = path.length ? path.join('.') : '(top level)';
    throw new InputError(`${source}: ${where}${field}: ${issue.message}`);
  }
  return compile(checked.data);
}

/**
 * Reads a policy file (YAML).
 * @throws MailcomplyError E_IO when it cannot be read; InputError naming file, line and field when invalid.
 */
export function loadHeaderPolicy(path: string): HeaderPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MailcomplyError(
      'E_IO',
      `cannot read policy ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  }
  return parseHeaderPolicy(text, path);
}

/** The action for a field name: an exact rule first, then the longest matching prefix rule, else the default. */
export function actionFor(policy: HeaderPolicy, name: string): HeaderAction {
  const n = name.toLowerCase();
  let best: { len: number; action: HeaderAction } | undefined;
  for (const r of policy.rules) {
    if (!r.prefix && r.name === n) return r.action;
    if (r.prefix && n.startsWith(r.name) && (!best || r.name.length > best.len))
      best = { len: r.name.length, action: r.action };
  }
  return best?.action ?? policy.default;
}

/** True when the policy pseudonymises something and therefore needs a key. */
export function policyNeedsKey(policy: HeaderPolicy): boolean {
  return policy.default === 'pseudonymise' || policy.rules.some((r) => r.action === 'pseudonymise');
}
