import { DnsError, InputError } from '../../core/errors.js';
import { SPF_MAX_DNS_LOOKUPS, SPF_MAX_MX_PTR_NAMES, SPF_MAX_VOID_LOOKUPS } from '../../core/limits.js';
import type { DnsRecord, Resolver, RRType } from '../../dns/types.js';
import { inCidr, parseClientIp, parseRecordAddress, reverseName, type SpfIp } from './ip.js';
import { expandMacros, parseMacroString, toQueryName, type MacroContext, type MacroToken } from './macro.js';
import { isTopLabel, parseSpf, type Qualifier, type SpfMechanism } from './parse.js';
import { lookupSpfRecord } from './record.js';

/** The seven results of check_host() (RFC 7208 §2.6). */
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface CheckHostOptions {
  resolver: Resolver;
  /** HELO/EHLO name, for the `h` macro. */
  helo: string;
  /** Receiving host name for the `r` macro; "unknown" when absent. */
  receiver?: string;
  clock?: () => Date;
  signal?: AbortSignal;
}

/** The result of one check_host() run, with the counts that the processing limits apply to. */
export interface SpfEvaluation {
  result: SpfResult;
  /** Expanded `exp=` text, only for a `fail` whose deciding record has one. */
  explanation?: string;
  /** The term that decided the result. */
  mechanism?: string;
  /** The domain whose record decided the result. */
  domain?: string;
  /** Why the result is none, permerror or temperror. Never contains the sender address. */
  reason?: string;
  lookups: number;
  voidLookups: number;
}

const QUALIFIER_RESULT: Record<Qualifier, SpfResult> = {
  '+': 'pass',
  '-': 'fail',
  '~': 'softfail',
  '?': 'neutral',
};
/** Recursion can only go this deep if the lookup limit failed to stop it; kept as a backstop. */
const MAX_DEPTH = 2 * SPF_MAX_DNS_LOOKUPS + 2;

/** Thrown inside an evaluation to end it with permerror or temperror. */
class Stop {
  constructor(
    readonly result: 'permerror' | 'temperror',
    readonly reason: string,
  ) {}
}

interface State {
  resolver: Resolver;
  signal: AbortSignal | undefined;
  ip: SpfIp;
  macro: Omit<MacroContext, 'domain'>;
  lookups: number;
  voids: number;
}

interface Outcome {
  result: SpfResult;
  domain: string;
  mechanism?: string;
  reason?: string;
  exp?: { tokens: MacroToken[]; domain: string };
}

/** How RFC 7208 §2.4 picks the checked identity: MAIL FROM, or postmaster@HELO when it is empty. */
export function spfIdentity(mailFrom: string, helo: string): { domain: string; sender: string } {
  if (mailFrom === '') return { domain: helo, sender: `postmaster@${helo}` };
  const at = mailFrom.lastIndexOf('@');
  if (at < 0) return { domain: mailFrom, sender: `postmaster@${mailFrom}` };
  return { domain: mailFrom.slice(at + 1), sender: mailFrom };
}

/** RFC 7208 §4.3: a multi-label name with labels of 1..63 octets and a real top label. */
function isCheckableDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > 253) return false;
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((l) => l.length === 0 || l.length > 63)) return false;
  return isTopLabel(labels[labels.length - 1] ?? '');
}

async function query(state: State, name: string, type: RRType): Promise<DnsRecord[]> {
  if (state.signal?.aborted) throw new Stop('temperror', 'the evaluation was aborted');
  let res;
  try {
    res = await state.resolver.query(name, type, state.signal ? { signal: state.signal } : undefined);
  } catch (err) {
    // A name the resolver refuses to put on the wire cannot exist: like NXDOMAIN, not a DNS failure.
    if (err instanceof DnsError && err.code === 'E_DOMAIN_INVALID') return [];
    throw new Stop('temperror', `a ${type} lookup failed (timeout or network error)`);
  }
  if (res.rcode === 'NXDOMAIN') return [];
  if (res.rcode !== 'NOERROR') throw new Stop('temperror', `a ${type} lookup answered ${res.rcode}`);
  return res.answers;
}

function countLookup(state: State, term: string): void {
  state.lookups++;
  if (state.lookups > SPF_MAX_DNS_LOOKUPS) {
    throw new Stop('permerror', `more than ${SPF_MAX_DNS_LOOKUPS} DNS-querying terms (at "${term}")`);
  }
}

function countVoid(state: State, records: readonly unknown[], term: string): void {
  if (records.length > 0) return;
  state.voids++;
  if (state.voids > SPF_MAX_VOID_LOOKUPS) {
    throw new Stop('permerror', `more than ${SPF_MAX_VOID_LOOKUPS} lookups found nothing (at "${term}")`);
  }
}

async function addresses(state: State, name: string): Promise<SpfIp[]> {
  const family = state.ip.family;
  const records = await query(state, name, family === 4 ? 'A' : 'AAAA');
  return records.flatMap((r) => parseRecordAddress(String(r.data), family) ?? []);
}

function normaliseHost(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** PTR names of the client whose forward lookup leads back to it (§5.5), at most 10 examined. */
async function validatedNames(state: State, accept: (name: string) => boolean): Promise<string[]> {
  let ptrs: DnsRecord[];
  try {
    ptrs = await query(state, reverseName(state.ip), 'PTR');
  } catch (err) {
    if (err instanceof Stop) return [];
    throw err;
  }
  const names = ptrs.slice(0, SPF_MAX_MX_PTR_NAMES).map((r) => normaliseHost(String(r.data)));
  const valid: string[] = [];
  for (const name of names.filter(accept)) {
    try {
      const addrs = await addresses(state, name);
      if (addrs.some((a) => inCidr(state.ip, a.bytes, a.bytes.length * 8))) valid.push(name);
    } catch (err) {
      // §5.5: a failed address lookup skips that name.
      if (!(err instanceof Stop)) throw err;
    }
  }
  return valid;
}

async function expandTarget(state: State, tokens: MacroToken[], domain: string): Promise<string | undefined> {
  return toQueryName(await expandMacros(tokens, { ...state.macro, domain }));
}

function matchesAny(state: State, addrs: SpfIp[], m: SpfMechanism): boolean {
  const bits = state.ip.family === 4 ? (m.cidr4 ?? 32) : (m.cidr6 ?? 128);
  return addrs.some((a) => inCidr(state.ip, a.bytes, bits));
}

async function matchMechanism(
  state: State,
  m: SpfMechanism,
  domain: string,
  depth: number,
): Promise<boolean> {
  switch (m.name) {
    case 'all':
      return true;
    case 'ip4':
      return state.ip.family === 4 && inCidr(state.ip, m.network ?? [], m.cidr4 ?? 32);
    case 'ip6':
      return state.ip.family === 6 && inCidr(state.ip, m.network ?? [], m.cidr6 ?? 128);
    default:
      break;
  }
  countLookup(state, m.text);
  const target = m.domainTokens ? await expandTarget(state, m.domainTokens, domain) : domain;
  if (m.name === 'include') {
    if (target === undefined) throw new Stop('permerror', `"${m.text}" does not name a valid domain`);
    const inner = await evaluateDomain(state, target, depth + 1);
    if (inner.result === 'none')
      throw new Stop('permerror', `"${m.text}": the included domain has no SPF record`);
    return inner.result === 'pass';
  }
  // A target that cannot be a DNS name (after macro expansion) is treated as non-existent.
  if (target === undefined) return false;
  switch (m.name) {
    case 'a': {
      const addrs = await addresses(state, target);
      countVoid(state, addrs, m.text);
      return matchesAny(state, addrs, m);
    }
    case 'mx': {
      const mx = await query(state, target, 'MX');
      countVoid(state, mx, m.text);
      if (mx.length > SPF_MAX_MX_PTR_NAMES) {
        throw new Stop('permerror', `"${m.text}": more than ${SPF_MAX_MX_PTR_NAMES} MX records`);
      }
      const hosts = mx
        .map((r) => r.data as { preference: number; exchange: string })
        .sort((a, b) => a.preference - b.preference)
        .map((d) => normaliseHost(d.exchange))
        .filter((h) => h !== '');
      for (const host of hosts) {
        if (matchesAny(state, await addresses(state, host), m)) return true;
      }
      return false;
    }
    case 'ptr': {
      const t = target.toLowerCase();
      const names = await validatedNames(state, (n) => n === t || n.endsWith(`.${t}`));
      return names.length > 0;
    }
    case 'exists': {
      const records = await query(state, target, 'A');
      countVoid(state, records, m.text);
      return records.length > 0;
    }
  }
  return false;
}

async function evaluateDomain(state: State, domain: string, depth: number): Promise<Outcome> {
  if (depth > MAX_DEPTH) throw new Stop('permerror', 'include/redirect nesting is too deep');
  const found = await lookupSpfRecord(state.resolver, domain, state.signal);
  if (found.status === 'error') throw new Stop('temperror', found.reason);
  if (found.status === 'none') return { result: 'none', domain, reason: 'no SPF record' };
  if (found.status === 'multiple')
    throw new Stop('permerror', `${found.records.length} SPF records at one name`);
  const parsed = parseSpf(found.record);
  const error = parsed.errors[0];
  if (error) throw new Stop('permerror', `syntax error in "${error.term}": ${error.reason}`);
  const exp = parsed.exp ? { tokens: parsed.exp.tokens, domain } : undefined;
  for (const m of parsed.mechanisms) {
    if (await matchMechanism(state, m, domain, depth)) {
      const out: Outcome = { result: QUALIFIER_RESULT[m.qualifier], domain, mechanism: m.text };
      if (exp) out.exp = exp;
      return out;
    }
  }
  if (parsed.redirect) {
    countLookup(state, parsed.redirect.text);
    const target = await expandTarget(state, parsed.redirect.tokens, domain);
    if (target === undefined)
      throw new Stop('permerror', `"${parsed.redirect.text}" does not name a valid domain`);
    const next = await evaluateDomain(state, target, depth + 1);
    if (next.result === 'none')
      throw new Stop('permerror', `"${parsed.redirect.text}": the target has no SPF record`);
    return next;
  }
  return { result: 'neutral', domain };
}

/** §6.2: problems fetching or expanding the explanation just mean there is none. */
async function explain(
  state: State,
  exp: { tokens: MacroToken[]; domain: string },
): Promise<string | undefined> {
  try {
    const name = await expandTarget(state, exp.tokens, exp.domain);
    if (name === undefined) return undefined;
    const records = await query(state, name, 'TXT');
    const only = records.length === 1 ? (records[0]?.data as { text: string }) : undefined;
    if (!only) return undefined;
    const parsed = parseMacroString(only.text, { explanation: true });
    if (!parsed.ok) return undefined;
    return await expandMacros(parsed.tokens, { ...state.macro, domain: exp.domain });
  } catch (err) {
    if (err instanceof Stop) return undefined;
    throw err;
  }
}

/**
 * RFC 7208 check_host(): evaluates the SPF policy of `domain` for a client at `ip` sending as
 * `sender` (local@domain). DNS problems become temperror, policy problems permerror; the only
 * exception is an unparseable `ip`, which is a caller error (InputError).
 * @example await checkHost('192.0.2.1', 'example.org', 'bounce@example.org', { resolver, helo: 'mx.example.org' })
 */
export async function checkHost(
  ip: string,
  domain: string,
  sender: string,
  options: CheckHostOptions,
): Promise<SpfEvaluation> {
  const client = parseClientIp(ip);
  if (!client) throw new InputError('checkHost: the client address is not a valid IP address');
  const d = domain.replace(/\.$/, '');
  if (!isCheckableDomain(d)) {
    return {
      result: 'none',
      reason: 'the domain is not a valid multi-label domain name',
      lookups: 0,
      voidLookups: 0,
    };
  }
  const at = sender.lastIndexOf('@');
  const localPart = (at >= 0 ? sender.slice(0, at) : '') || 'postmaster';
  const senderDomain = (at >= 0 ? sender.slice(at + 1) : sender).replace(/\.$/, '') || d;
  let ptrNames: Promise<string[]> | undefined;
  const state: State = {
    resolver: options.resolver,
    signal: options.signal,
    ip: client,
    lookups: 0,
    voids: 0,
    macro: {
      sender: `${localPart}@${senderDomain}`,
      localPart,
      senderDomain,
      ip: client,
      helo: options.helo,
      receiver: options.receiver ?? 'unknown',
      now: options.clock ?? (() => new Date()),
      validatedName: async (current) =>
        pickValidatedName(await (ptrNames ??= validatedNames(state, () => true)), current),
    },
  };
  const counts = (): { lookups: number; voidLookups: number } => ({
    lookups: state.lookups,
    voidLookups: state.voids,
  });
  try {
    const out = await evaluateDomain(state, d, 0);
    const evaluation: SpfEvaluation = { result: out.result, domain: out.domain, ...counts() };
    if (out.mechanism !== undefined) evaluation.mechanism = out.mechanism;
    if (out.reason !== undefined) evaluation.reason = out.reason;
    if (out.result === 'fail' && out.exp) {
      const text = await explain(state, out.exp);
      if (text !== undefined) evaluation.explanation = text;
    }
    return evaluation;
  } catch (err) {
    if (err instanceof Stop) return { result: err.result, reason: err.reason, ...counts() };
    throw err;
  }
}

/** The `p` macro (§7.3): a validated name, preferring `domain` itself, then its subdomains. */
function pickValidatedName(names: string[], domain: string): string {
  const d = domain.toLowerCase();
  return names.find((n) => n === d) ?? names.find((n) => n.endsWith(`.${d}`)) ?? names[0] ?? 'unknown';
}
