/**
 * Helpers that turn an SPF tree into evidence and concrete remediation text.
 */
import { SPF_MAX_DNS_LOOKUPS } from '../../core/limits.js';
import { zoneTxt } from '../tag-list.js';
import type { SpfTree, SpfTreeNode } from './tree.js';

/** The tree as evidence: records, problems and counts, without parsed internals. */
export interface CompactNode {
  domain: string;
  via: SpfTreeNode['via'];
  term?: string;
  record?: string;
  records?: string[];
  problem?: string;
  lookups: number;
  voidLookups?: number;
  children?: CompactNode[];
}

/** Evidence form of a tree node and its descendants. */
export function compactTree(n: SpfTreeNode): CompactNode {
  const out: CompactNode = { domain: n.domain, via: n.via, lookups: n.lookups };
  if (n.term !== undefined) out.term = n.term;
  if (n.record !== undefined) out.record = n.record;
  if (n.records) out.records = n.records;
  if (n.problem) out.problem = `${n.problem.kind}: ${n.problem.message}`;
  if (n.voidLookups > 0) out.voidLookups = n.voidLookups;
  if (n.children.length > 0) out.children = n.children.map(compactTree);
  return out;
}

/** Lookups spent by a node and everything below it. */
export function subtreeLookups(n: SpfTreeNode): number {
  return n.children.reduce((sum, c) => sum + subtreeLookups(c), n.lookups);
}

/** The root's includes and redirect with what each costs (its own term plus its subtree), heaviest first. */
export function heaviestBranches(tree: SpfTree): { term: string; domain: string; lookups: number }[] {
  return tree.root.children
    .map((c) => ({ term: c.term ?? c.domain, domain: c.domain, lookups: 1 + subtreeLookups(c) }))
    .sort((a, b) => b.lookups - a.lookups);
}

/** The words of a record after its version, in order, as published (valid or not). */
export function recordWords(record: string): string[] {
  return record
    .slice(6)
    .split(' ')
    .filter((w) => w !== '');
}

/** Rebuilds a record from its words, mapping each (null drops it). */
export function rewriteRecord(record: string, map: (word: string, index: number) => string | null): string {
  const words = recordWords(record)
    .map(map)
    .filter((w): w is string => w !== null);
  return ['v=spf1', ...words].join(' ');
}

/** Ready-to-paste TXT record for `domain`. */
export function txtLine(domain: string, record: string): string {
  return zoneTxt(domain, record);
}

/** Several SPF records merged into one: every distinct term, one "all" (the first seen, else -all) last. */
export function mergeRecords(records: string[]): string {
  const terms: string[] = [];
  let all: string | undefined;
  let redirect: string | undefined;
  for (const r of records) {
    for (const w of recordWords(r)) {
      const lower = w.toLowerCase();
      if (/^[+\-~?]?all$/.test(lower)) all ??= w;
      else if (lower.startsWith('redirect=')) redirect ??= w;
      else if (!terms.some((t) => t.toLowerCase() === lower)) terms.push(w);
    }
  }
  const tail = all ?? (redirect ? redirect : '-all');
  return ['v=spf1', ...terms, tail].join(' ');
}

/** Advice for a tree over the lookup limit: which branches to flatten first. */
export function lookupAdvice(tree: SpfTree): string {
  const branches = heaviestBranches(tree).filter((b) => b.lookups > 1);
  const lines = [
    `Bring the policy to at most ${SPF_MAX_DNS_LOOKUPS} DNS-querying terms (include, a, mx, ptr, exists, redirect).`,
  ];
  if (branches.length > 0) {
    lines.push(
      'Flatten or remove the heaviest branches first (replace them with the ip4:/ip6: ranges they publish):',
    );
    for (const b of branches.slice(0, 5)) lines.push(`  ${b.term}  (${b.lookups} lookups)`);
  }
  lines.push(
    'Drop ptr and unneeded a/mx terms, and consider moving bulk senders to their own subdomain with its own SPF record.',
  );
  return lines.join('\n');
}
