import { unfold, type HeaderField } from './header-fields.js';
import { extractIps, internalMatcher, parseIp } from './internal.js';
import { actionFor, type HeaderAction, type HeaderPolicy } from './policy.js';
import { pseudonym } from './pseudonym.js';
import { clauseHosts, clauseText, receivedClauses, rewriteFromClause } from './received.js';

/** What the sanitiser knows about the message's submission, e.g. from milter macros. */
export interface SanitizeContext {
  /** Address of the SMTP client that submitted the message; its hop counts as the client's. */
  clientAddress?: string;
  /** SASL login name of the submitter; redacted wherever it appears in rewritten fields. */
  authenticatedUser?: string;
  /** Extra test for internal addresses or names, added to the built-in ranges and the policy's zones. */
  internal?: (ipOrHost: string) => boolean;
  /** HMAC key for `pseudonymise`; without one, pseudonymise falls back to redact (never leaks). */
  key?: Buffer;
}

/** One edit, described against the input list. */
export interface HeaderChange {
  kind: 'remove' | 'replace';
  /** Position in the input list (0-based). */
  index: number;
  /** 1-based position among input fields of the same name (case-insensitive): the milter CHGHEADER index. */
  occurrence: number;
  name: string;
  /** New raw value for `replace` (same leading space and line ending convention as the input value). */
  value?: string;
  /** Why: the policy action, or `received-from` for a rewritten Received hop. */
  rule: HeaderAction | 'received-from';
}

/** The edited field list and the edits that produced it. */
export interface SanitizeResult {
  headers: HeaderField[];
  changes: HeaderChange[];
}

const EMAIL_RE = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/**
 * Applies a policy to a list of header fields. Only header fields are touched; the input list is
 * not modified. Pure and synchronous, so a milter can call it per message without I/O.
 */
export function sanitizeHeaders(
  headers: readonly HeaderField[],
  policy: HeaderPolicy,
  ctx: SanitizeContext = {},
): SanitizeResult {
  const builtIn = internalMatcher(policy.internalZones);
  const extra = ctx.internal;
  const isInternalIp = (ip: string) => builtIn.ip(ip) || (extra?.(ip) ?? false);
  const isInternalHost = (h: string) => builtIn.host(h) || (extra?.(h) ?? false);
  const client = ctx.clientAddress ? parseIp(ctx.clientAddress)?.toString() : undefined;

  const out: HeaderField[] = [];
  const changes: HeaderChange[] = [];
  const seen = new Map<string, number>();
  headers.forEach((field, index) => {
    if (field.name === '') {
      out.push(field);
      return;
    }
    const lower = field.name.toLowerCase();
    const occurrence = (seen.get(lower) ?? 0) + 1;
    seen.set(lower, occurrence);
    const action = actionFor(policy, field.name);
    const base = { index, occurrence, name: field.name };
    if (action === 'remove') {
      changes.push({ ...base, kind: 'remove', rule: 'remove' });
      return;
    }
    let value: string | undefined;
    let rule: HeaderChange['rule'] = action;
    if (lower === 'received') {
      value = rewriteReceived(field.value, policy, ctx, { isInternalIp, isInternalHost, client });
      rule = 'received-from';
    } else if (action === 'redact' || action === 'pseudonymise') {
      value = replaceTokens(field.value, action, policy, ctx);
    }
    if (value === undefined || value === field.value) {
      out.push(field);
      return;
    }
    out.push({ ...field, value });
    changes.push({ ...base, kind: 'replace', value, rule });
  });
  return { headers: out, changes };
}

interface Matchers {
  isInternalIp(ip: string): boolean;
  isInternalHost(h: string): boolean;
  client: string | undefined;
}

/** True when a Received `with` protocol carries RFC 3848's authenticated suffix (ESMTPA, ESMTPSA, ...). */
function authenticatedProtocol(withText: string): boolean {
  const proto = /^(\S+)/.exec(withText)?.[1] ?? '';
  return /^(UTF8)?(E?SMTP|LMTP)S?A$/i.test(proto);
}

function rewriteReceived(
  value: string,
  policy: HeaderPolicy,
  ctx: SanitizeContext,
  m: Matchers,
): string | undefined {
  if (policy.received.rewrite === 'none') return undefined;
  const clauses = receivedClauses(value);
  if (!clauses.from) return undefined;
  const from = clauseText(value, clauses.from);
  const ips = extractIps(from);
  let hide = ips.some(m.isInternalIp) || clauseHosts(from).some(m.isInternalHost);
  if (!hide && policy.received.rewrite === 'internal-and-client') {
    hide =
      (m.client !== undefined && ips.some((ip) => parseIp(ip)?.toString() === m.client)) ||
      /\bauthenticated\b/i.test(from) ||
      authenticatedProtocol(clauseText(value, clauses.with));
  }
  if (!hide) return undefined;
  let v = rewriteFromClause(value, clauses.from, policy.received.replacement);
  // Submission hops name the login in a comment after the from-clause on some MTAs (Sendmail, Exim).
  v = v.replace(/\s*\((?:Authenticated sender|authenticated user|auth=)[^)]*\)/gi, '');
  if (ctx.authenticatedUser) v = replaceLiteral(v, ctx.authenticatedUser, policy.redactText);
  return v;
}

function replaceLiteral(text: string, needle: string, replacement: string): string {
  if (needle.length < 2) return text;
  return text.split(needle).join(replacement);
}

/** Replaces IPs, addresses and the login inside a value; a value without any is replaced whole. */
function replaceTokens(
  value: string,
  action: 'redact' | 'pseudonymise',
  policy: HeaderPolicy,
  ctx: SanitizeContext,
): string {
  const key = action === 'pseudonymise' ? ctx.key : undefined;
  const sub = (token: string, kind: 'ip' | 'email' | 'user'): string => {
    if (!key) return policy.redactText;
    const p = pseudonym(key, token);
    if (kind === 'email') return `${p}@${token.slice(token.lastIndexOf('@') + 1)}`;
    return p;
  };
  let v = value.replace(EMAIL_RE, (e) => sub(e, 'email'));
  for (const ip of extractIps(v)) v = v.split(ip).join(sub(ip, 'ip'));
  if (ctx.authenticatedUser && ctx.authenticatedUser.length >= 2)
    v = v.split(ctx.authenticatedUser).join(sub(ctx.authenticatedUser, 'user'));
  if (v !== value) return v;
  const lead = /^[ \t]*/.exec(value)![0];
  const eol = /\r?\n$/.exec(value)?.[0] ?? '';
  const whole = unfold(value);
  if (whole === '') return value;
  return `${lead}${key ? pseudonym(key, whole) : policy.redactText}${eol}`;
}
