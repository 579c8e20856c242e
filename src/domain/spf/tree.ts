import { DnsError } from '../../core/errors.js';
import { mapLimit } from '../../core/pool.js';
import { SPF_MAX_MX_PTR_NAMES, SPF_MAX_TREE_NODES, SPF_TREE_CONCURRENCY } from '../../core/limits.js';
import type { DnsRecord, Resolver, RRType } from '../../dns/types.js';
import { parseIpv4 } from './ip.js';
import { summariseIpv4 } from './ipv4-set.js';
import { toQueryName, transformValue, type MacroToken } from './macro.js';
import {
  LOOKUP_MECHANISMS,
  parseSpf,
  type SpfMechanism,
  type SpfSyntaxError,
  type SpfTerm,
} from './parse.js';
import { lookupSpfRecord } from './record.js';

/** The seams a static walk needs. */
export interface SpfTreeContext {
  resolver: Resolver;
  signal?: AbortSignal;
}

export type SpfNodeProblem = 'none' | 'multiple' | 'dns' | 'syntax' | 'loop' | 'invalid-domain';

/** One record in the include/redirect tree. */
export interface SpfTreeNode {
  domain: string;
  via: 'root' | 'include' | 'redirect';
  /** The parent's term that led here. */
  term?: string;
  record?: string;
  /** Every SPF record found, when there were several. */
  records?: string[];
  /** The TXT lookup answered NXDOMAIN. */
  nxdomain?: boolean;
  problem?: { kind: SpfNodeProblem; message: string };
  terms: SpfTerm[];
  syntaxErrors: SpfSyntaxError[];
  children: SpfTreeNode[];
  /** DNS-querying terms of this record: include, a, mx, ptr, exists, and redirect when it applies. */
  lookups: number;
  /** Lookups of this record's a, mx and exists terms that found nothing. */
  voidLookups: number;
  /** Whether a match here authorises mail for the root domain (no -, ~ or ? include on the way). */
  authorising: boolean;
}

/** A term of some record in the tree. */
export interface SpfTermRef {
  domain: string;
  term: string;
}

/** An IPv4 network a term authorises. */
export interface Ipv4Source extends SpfTermRef {
  network: string;
  bits: number;
}

/** The whole tree with the totals a static audit reports. */
export interface SpfTree {
  domain: string;
  root: SpfTreeNode;
  nodeCount: number;
  /** The walk stopped at SPF_MAX_TREE_NODES: counts are lower bounds. */
  truncated: boolean;
  totalLookups: number;
  totalVoidLookups: number;
  loops: { path: string[]; term: string }[];
  ptr: SpfTermRef[];
  voids: (SpfTermRef & { target: string })[];
  /** Terms whose target depends on the sender or client (macros); not followed. */
  dynamic: SpfTermRef[];
  /** Lookups that failed; `term` is empty for the record's own TXT lookup. */
  dnsErrors: (SpfTermRef & { reason: string })[];
  /** Problems that make receivers return permerror besides syntax (e.g. more than 10 MX names). */
  policyErrors: (SpfTermRef & { reason: string })[];
  ipv4: { networks: string[]; addressCount: number; sources: Ipv4Source[] };
  ipv6: SpfTermRef[];
}

interface NodeFacts {
  ptr: SpfTermRef[];
  voids: (SpfTermRef & { target: string })[];
  dynamic: SpfTermRef[];
  dnsErrors: (SpfTermRef & { reason: string })[];
  policyErrors: (SpfTermRef & { reason: string })[];
  sources: Ipv4Source[];
  ipv6: SpfTermRef[];
}

interface ChildSpec {
  via: 'include' | 'redirect';
  term: string;
  target: string;
  authorising: boolean;
  invalid?: string;
}

type Lookup = { ok: true; records: DnsRecord[] } | { ok: false; reason: string };

async function lookup(ctx: SpfTreeContext, name: string, type: RRType): Promise<Lookup> {
  try {
    const res = await ctx.resolver.query(name, type, ctx.signal ? { signal: ctx.signal } : undefined);
    if (res.rcode === 'NXDOMAIN') return { ok: true, records: [] };
    if (res.rcode !== 'NOERROR') return { ok: false, reason: `${type} lookup answered ${res.rcode}` };
    return { ok: true, records: res.answers };
  } catch (err) {
    if (err instanceof DnsError && err.code === 'E_DOMAIN_INVALID') return { ok: true, records: [] };
    return {
      ok: false,
      reason: `${type} lookup failed (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

/**
 * Expands a domain-spec without a message: `d` is the record's domain and `o` the audited domain;
 * any other macro depends on the sender or client, so the target is dynamic (null).
 */
export function staticTarget(
  tokens: readonly MacroToken[],
  domain: string,
  root: string,
): string | null | undefined {
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'literal') out += t.text;
    else if (t.letter === 'd' || t.letter === 'o') out += transformValue(t.letter === 'd' ? domain : root, t);
    else return null;
  }
  return toQueryName(out)?.toLowerCase();
}

function emptyFacts(): NodeFacts {
  return { ptr: [], voids: [], dynamic: [], dnsErrors: [], policyErrors: [], sources: [], ipv6: [] };
}

function newNode(
  domain: string,
  via: SpfTreeNode['via'],
  term: string | undefined,
  authorising: boolean,
): SpfTreeNode {
  const node: SpfTreeNode = {
    domain,
    via,
    terms: [],
    syntaxErrors: [],
    children: [],
    lookups: 0,
    voidLookups: 0,
    authorising,
  };
  if (term !== undefined) node.term = term;
  return node;
}

function addAddresses(f: NodeFacts, ref: SpfTermRef, records: DnsRecord[], bits: number): void {
  for (const r of records) {
    const text = String(r.data);
    if (parseIpv4(text)) f.sources.push({ ...ref, network: text, bits });
  }
}

/** Resolves an a, mx or exists term for void counting and, when it authorises, the address union. */
async function resolveTerm(
  ctx: SpfTreeContext,
  node: SpfTreeNode,
  m: SpfMechanism,
  target: string,
  f: NodeFacts,
): Promise<void> {
  const ref = { domain: node.domain, term: m.text };
  const authorises = node.authorising && m.qualifier === '+';
  const bits = m.cidr4 ?? 32;
  const fail = (reason: string): void => void f.dnsErrors.push({ ...ref, reason });
  const markVoid = (): void => {
    node.voidLookups++;
    f.voids.push({ ...ref, target });
  };
  if (m.name === 'exists') {
    const a = await lookup(ctx, target, 'A');
    if (!a.ok) fail(a.reason);
    else if (a.records.length === 0) markVoid();
    return;
  }
  if (m.name === 'a') {
    const [a, aaaa] = await Promise.all([lookup(ctx, target, 'A'), lookup(ctx, target, 'AAAA')]);
    for (const o of [a, aaaa]) if (!o.ok) fail(o.reason);
    if (a.ok && aaaa.ok && a.records.length === 0 && aaaa.records.length === 0) markVoid();
    if (a.ok && authorises) addAddresses(f, ref, a.records, bits);
    return;
  }
  const mx = await lookup(ctx, target, 'MX');
  if (!mx.ok) return fail(mx.reason);
  if (mx.records.length === 0) return markVoid();
  if (mx.records.length > SPF_MAX_MX_PTR_NAMES) {
    f.policyErrors.push({
      ...ref,
      reason: `${mx.records.length} MX records: receivers stop at ${SPF_MAX_MX_PTR_NAMES} (permerror)`,
    });
  }
  if (!authorises) return;
  const hosts = mx.records
    .map((r) => r.data as { preference: number; exchange: string })
    .sort((x, y) => x.preference - y.preference)
    .map((d) => d.exchange.replace(/\.$/, '').toLowerCase())
    .filter((h) => h !== '')
    .slice(0, SPF_MAX_MX_PTR_NAMES);
  for (const host of hosts) {
    const a = await lookup(ctx, host, 'A');
    if (!a.ok) fail(a.reason);
    else addAddresses(f, ref, a.records, bits);
  }
}

async function loadNode(
  ctx: SpfTreeContext,
  node: SpfTreeNode,
  root: string,
  f: NodeFacts,
): Promise<ChildSpec[]> {
  const rec = await lookupSpfRecord(ctx.resolver, node.domain, ctx.signal);
  if (rec.status === 'error') {
    node.problem = { kind: 'dns', message: rec.reason };
    f.dnsErrors.push({ domain: node.domain, term: '', reason: rec.reason });
    return [];
  }
  if (rec.status === 'none') {
    node.problem = { kind: 'none', message: rec.nxdomain ? 'the domain does not exist' : 'no SPF record' };
    if (rec.nxdomain) node.nxdomain = true;
    return [];
  }
  if (rec.status === 'multiple') {
    node.records = rec.records;
    node.problem = { kind: 'multiple', message: `${rec.records.length} SPF records` };
    return [];
  }
  node.record = rec.record;
  const parsed = parseSpf(rec.record);
  node.terms = parsed.terms;
  node.syntaxErrors = parsed.errors;
  if (!parsed.valid)
    node.problem = { kind: 'syntax', message: parsed.errors.map((e) => `${e.term}: ${e.reason}`).join('; ') };
  const hasAll = parsed.mechanisms.some((m) => m.name === 'all');
  const specs: ChildSpec[] = [];
  for (const term of parsed.terms) {
    const ref = { domain: node.domain, term: term.text };
    if (term.type === 'modifier') {
      // RFC 7208 §6.1: redirect is ignored when the record has an "all" mechanism.
      if (term.name !== 'redirect' || hasAll) continue;
      node.lookups++;
      const target = staticTarget(term.tokens, node.domain, root);
      if (target === null) f.dynamic.push(ref);
      else specs.push(childSpec('redirect', term.text, term.value, target, node.authorising));
      continue;
    }
    const authorises = node.authorising && term.qualifier === '+';
    if (term.name === 'ip4' && authorises) {
      f.sources.push({ ...ref, network: (term.network ?? []).join('.'), bits: term.cidr4 ?? 32 });
    } else if (term.name === 'ip6' && authorises) {
      f.ipv6.push(ref);
    } else if (term.name === 'all' && authorises) {
      f.sources.push({ ...ref, network: '0.0.0.0', bits: 0 });
    }
    if (!LOOKUP_MECHANISMS.has(term.name)) continue;
    node.lookups++;
    if (term.name === 'ptr') f.ptr.push(ref);
    const target = term.domainTokens ? staticTarget(term.domainTokens, node.domain, root) : node.domain;
    if (target === null) {
      f.dynamic.push(ref);
    } else if (term.name === 'include') {
      specs.push(childSpec('include', term.text, term.domainSpec ?? '', target, authorises));
    } else if (target !== undefined && term.name !== 'ptr') {
      await resolveTerm(ctx, node, term, target, f);
    }
  }
  return specs;
}

function childSpec(
  via: ChildSpec['via'],
  term: string,
  spec: string,
  target: string | undefined,
  authorising: boolean,
): ChildSpec {
  if (target === undefined)
    return { via, term, target: spec, authorising, invalid: 'the target is not a valid domain name' };
  return { via, term, target, authorising };
}

function collect(root: SpfTreeNode, facts: Map<SpfTreeNode, NodeFacts>): { all: NodeFacts; lookups: number } {
  const all = emptyFacts();
  let lookups = 0;
  const walk = (n: SpfTreeNode): void => {
    lookups += n.lookups;
    const f = facts.get(n);
    if (f) {
      all.ptr.push(...f.ptr);
      all.voids.push(...f.voids);
      all.dynamic.push(...f.dynamic);
      all.dnsErrors.push(...f.dnsErrors);
      all.policyErrors.push(...f.policyErrors);
      all.sources.push(...f.sources);
      all.ipv6.push(...f.ipv6);
    }
    n.children.forEach(walk);
  };
  walk(root);
  return { all, lookups };
}

/**
 * Builds the include/redirect tree of `domain` without a client address (a static audit):
 * records, lookup and void-lookup counts (RFC 7208 §4.6.4), include loops, and the IPv4 space
 * the policy authorises. Stops at SPF_MAX_TREE_NODES nodes; never throws for DNS problems.
 */
export async function walkSpf(domain: string, ctx: SpfTreeContext): Promise<SpfTree> {
  const rootDomain = domain.replace(/\.$/, '').toLowerCase();
  const root = newNode(rootDomain, 'root', undefined, true);
  const facts = new Map<SpfTreeNode, NodeFacts>();
  const paths = new Map<SpfTreeNode, string[]>([[root, [rootDomain]]]);
  const loops: SpfTree['loops'] = [];
  let nodeCount = 1;
  let truncated = false;
  // Level by level, so which nodes survive the cap does not depend on DNS timing.
  let level = [root];
  while (level.length > 0) {
    const specs = await mapLimit(level, SPF_TREE_CONCURRENCY, (node) => {
      const f = emptyFacts();
      facts.set(node, f);
      return loadNode(ctx, node, rootDomain, f);
    });
    const next: SpfTreeNode[] = [];
    level.forEach((node, i) => {
      const path = paths.get(node) ?? [];
      for (const spec of specs[i] ?? []) {
        if (nodeCount >= SPF_MAX_TREE_NODES) {
          truncated = true;
          return;
        }
        nodeCount++;
        const child = newNode(spec.target, spec.via, spec.term, spec.authorising);
        node.children.push(child);
        if (spec.invalid !== undefined) {
          child.problem = { kind: 'invalid-domain', message: spec.invalid };
        } else if (path.includes(spec.target)) {
          const loopPath = [...path, spec.target];
          child.problem = { kind: 'loop', message: `loop: ${loopPath.join(' -> ')}` };
          loops.push({ path: loopPath, term: spec.term });
        } else {
          paths.set(child, [...path, spec.target]);
          next.push(child);
        }
      }
    });
    level = next;
  }
  const { all, lookups } = collect(root, facts);
  return {
    domain: rootDomain,
    root,
    nodeCount,
    truncated,
    totalLookups: lookups,
    totalVoidLookups: all.voids.length,
    loops,
    ptr: all.ptr,
    voids: all.voids,
    dynamic: all.dynamic,
    dnsErrors: all.dnsErrors,
    policyErrors: all.policyErrors,
    ipv4: {
      ...summariseIpv4(all.sources.map((s) => ({ address: s.network, bits: s.bits }))),
      sources: all.sources,
    },
    ipv6: all.ipv6,
  };
}
