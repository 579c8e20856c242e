/**
 * Verdicts drawn from the SPF include tree: policy errors, lookup limits, the final "all", ptr,
 * loops and how much address space the policy authorises.
 */
import type { Finding } from '../../core/finding.js';
import {
  SPF_BROAD_IPV4_ADDRESSES,
  SPF_MAX_DNS_LOOKUPS,
  SPF_MAX_TREE_NODES,
  SPF_MAX_VOID_LOOKUPS,
  SPF_VERY_BROAD_IPV4_ADDRESSES,
} from '../../core/limits.js';
import { finding, type FindingInput } from '../../core/make-finding.js';
import { compactTree, lookupAdvice, rewriteRecord, txtLine } from './advice.js';
import { summariseIpv4 } from './ipv4-set.js';
import type { SpfMechanism } from './parse.js';
import type { SpfTree, SpfTreeNode } from './tree.js';

/** Every SPF finding feeds this control. */
export const CONTROLS = ['auth.spf'];

type Input = Omit<FindingInput, 'controls'>;
/** A finding under the SPF control. */
export const make = (f: Input): Finding => finding({ ...f, controls: CONTROLS });

/** Evidence shared by the findings of one domain: the record, the include tree and the counts. */
export function baseEvidence(tree: SpfTree): Record<string, unknown> {
  return {
    domain: tree.domain,
    record: tree.root.record,
    lookups: tree.totalLookups,
    voidLookups: tree.totalVoidLookups,
    nodes: tree.nodeCount,
    truncated: tree.truncated,
    tree: compactTree(tree.root),
  };
}

const count = (n: number): string => n.toLocaleString('en-US');

/** The record with its invalid terms dropped and `map` applied to the rest. */
function fixedRecord(node: SpfTreeNode, map: (word: string) => string | null = (w) => w): string {
  const bad = new Set(node.syntaxErrors.map((e) => e.index));
  return rewriteRecord(node.record ?? 'v=spf1', (w, i) => (bad.has(i) ? null : map(w)));
}

/** spf.syntax: syntax errors anywhere in the tree, and includes or redirects that end in permerror. */
export function syntaxFinding(tree: SpfTree): Finding {
  const problems: string[] = [];
  const fixes: string[] = [];
  const visit = (n: SpfTreeNode): void => {
    for (const e of n.syntaxErrors) problems.push(`${n.domain}: "${e.term}" ${e.reason}`);
    if (n.via !== 'root' && n.problem && ['none', 'multiple', 'invalid-domain'].includes(n.problem.kind)) {
      problems.push(`${n.term ?? n.domain}: ${n.problem.message}`);
      fixes.push(`Remove or correct "${n.term ?? n.domain}" (${n.problem.message}).`);
    }
    n.children.forEach(visit);
  };
  visit(tree.root);
  for (const p of tree.policyErrors) problems.push(`${p.domain}: "${p.term}" ${p.reason}`);
  if (problems.length === 0) {
    return make({
      id: 'spf.syntax',
      status: 'pass',
      title: 'The SPF policy is well formed',
      detail: `Every record in the policy of ${tree.domain} parsed without errors.`,
      evidence: baseEvidence(tree),
    });
  }
  const root = tree.root;
  if (root.record !== undefined && root.syntaxErrors.length > 0) {
    fixes.unshift(
      `Correct or drop the invalid terms; without them the record reads:\n${txtLine(tree.domain, fixedRecord(root))}`,
    );
  }
  for (const p of tree.policyErrors)
    fixes.push(`Replace "${p.term}" in ${p.domain} with explicit ip4:/ip6: terms.`);
  if (root.syntaxErrors.length === 0 && fixes.length === 0) {
    fixes.push('Ask the owner of each listed record to correct it, or stop including it.');
  }
  return make({
    id: 'spf.syntax',
    status: 'fail',
    severity: 'high',
    title: 'The SPF policy has errors: receivers return permerror and ignore it',
    detail: `RFC 7208 requires the whole policy to be valid; these problems make every evaluation end in permerror: ${problems.join('; ')}.`,
    evidence: { ...baseEvidence(tree), problems },
    remediation: fixes.join('\n'),
  });
}

/** spf.lookups: DNS-querying terms against the limit of 10 (RFC 7208 §4.6.4). */
export function lookupsFinding(tree: SpfTree): Finding {
  const used = tree.truncated ? `at least ${tree.totalLookups}` : String(tree.totalLookups);
  const loops = tree.loops.length > 0 ? ' Include loops are not counted round the loop (see spf.loop).' : '';
  const dynamic =
    tree.dynamic.length > 0
      ? ` ${tree.dynamic.length} term(s) depend on the sender or client address (macros) and were counted but not followed.`
      : '';
  if (tree.totalLookups <= SPF_MAX_DNS_LOOKUPS && !tree.truncated) {
    return make({
      id: 'spf.lookups',
      status: 'pass',
      title: 'The SPF policy stays within the 10 DNS-lookup limit',
      detail: `Evaluating the policy of ${tree.domain} takes ${used} DNS-querying terms (limit ${SPF_MAX_DNS_LOOKUPS}).${loops}${dynamic}`,
      evidence: baseEvidence(tree),
    });
  }
  const cut = tree.truncated ? ` The include tree was cut at ${SPF_MAX_TREE_NODES} records.` : '';
  return make({
    id: 'spf.lookups',
    status: 'fail',
    severity: 'high',
    title: 'The SPF policy needs more than 10 DNS lookups: receivers return permerror',
    detail: `Evaluating the policy of ${tree.domain} takes ${used} DNS-querying terms; RFC 7208 §4.6.4 allows ${SPF_MAX_DNS_LOOKUPS}, so receivers that reach the limit stop with permerror and legitimate mail fails SPF.${cut}${dynamic}`,
    evidence: baseEvidence(tree),
    remediation: lookupAdvice(tree),
  });
}

/** spf.void-lookups: terms whose targets have no records (limit 2). */
export function voidFinding(tree: SpfTree): Finding {
  const n = tree.totalVoidLookups;
  const list = tree.voids.map((v) => `${v.term} in ${v.domain}`);
  if (n === 0) {
    return make({
      id: 'spf.void-lookups',
      status: 'pass',
      title: 'Every name the SPF policy refers to exists',
      detail: `No a, mx or exists term of the policy of ${tree.domain} points at a name without records.`,
      evidence: baseEvidence(tree),
    });
  }
  const over = n > SPF_MAX_VOID_LOOKUPS;
  return make({
    id: 'spf.void-lookups',
    status: over ? 'fail' : 'warn',
    severity: over ? 'medium' : 'low',
    title: over
      ? 'Too many SPF terms point at names that do not exist: receivers return permerror'
      : 'Some SPF terms point at names that do not exist',
    detail: `${n} lookup(s) found no records (${list.join(', ')}). RFC 7208 §4.6.4 lets receivers stop with permerror after ${SPF_MAX_VOID_LOOKUPS}; stale terms also waste the lookup budget.`,
    evidence: { ...baseEvidence(tree), voids: tree.voids },
    remediation: `Remove the terms whose targets no longer exist: ${tree.voids.map((v) => `"${v.term}" (in ${v.domain})`).join(', ')}.`,
  });
}

/** The "all" that ends evaluation: the root's, or along its redirect chain. */
function effectiveAll(tree: SpfTree): { node: SpfTreeNode; all?: SpfMechanism } {
  let node = tree.root;
  for (;;) {
    const all = node.terms.find((t): t is SpfMechanism => t.type === 'mechanism' && t.name === 'all');
    if (all) return { node, all };
    const next = node.children.find((c) => c.via === 'redirect' && c.record !== undefined);
    if (!next) return { node };
    node = next;
  }
}

/** spf.all: what happens to mail from unlisted hosts. */
export function allFinding(tree: SpfTree): Finding {
  const { node, all } = effectiveAll(tree);
  const where = node === tree.root ? '' : ` (reached through redirect, in the record of ${node.domain})`;
  const strict = all ? fixedRecord(node, (w) => (w === all.text ? '-all' : w)) : `${fixedRecord(node)} -all`;
  const strictLine = txtLine(node.domain, strict);
  const fix = `Publish${node === tree.root ? '' : ` at ${node.domain}`}:\n${strictLine}`;
  const ev = { ...baseEvidence(tree), all: all?.text ?? null, decidedBy: node.domain };
  const q = all?.qualifier;
  if (q === '-') {
    return make({
      id: 'spf.all',
      status: 'pass',
      title: 'The SPF policy rejects mail from unlisted hosts (-all)',
      detail: `The policy ends in "${all?.text}"${where}: mail from any other host fails SPF.`,
      evidence: ev,
    });
  }
  if (q === '~') {
    return make({
      id: 'spf.all',
      status: 'info',
      title: 'The SPF policy soft-fails unlisted hosts (~all)',
      detail: `The policy ends in "${all?.text}"${where}: receivers mark rather than refuse mail from other hosts. That is sound together with a DMARC policy of quarantine or reject; on its own it lets forged mail through.`,
      evidence: ev,
      remediation: `Once every legitimate sender is listed (check DMARC aggregate reports), tighten to -all:\n${strictLine}`,
    });
  }
  if (q === '+') {
    return make({
      id: 'spf.all',
      status: 'fail',
      severity: 'critical',
      title: 'The SPF policy authorises every host on the internet (+all)',
      detail: `The policy ends in "${all?.text}"${where}: any server passes SPF for ${tree.domain}, so SPF gives no protection and even helps forged mail pass DMARC.`,
      evidence: ev,
      remediation: fix,
    });
  }
  return make({
    id: 'spf.all',
    status: 'warn',
    severity: 'medium',
    title: all
      ? 'The SPF policy is neutral about unlisted hosts (?all)'
      : 'The SPF policy does not say what to do with unlisted hosts',
    detail: all
      ? `The policy ends in "${all.text}"${where}: mail from any other host gets "neutral", which receivers treat like no SPF at all.`
      : `The policy has no "all" mechanism and no redirect${where}, so mail from unlisted hosts gets the default "neutral" result, which protects nothing.`,
    evidence: ev,
    remediation: fix,
  });
}

/** spf.ptr: the deprecated ptr mechanism anywhere in the tree. */
export function ptrFinding(tree: SpfTree): Finding {
  if (tree.ptr.length === 0) {
    return make({
      id: 'spf.ptr',
      status: 'pass',
      title: 'The SPF policy does not use the deprecated ptr mechanism',
      detail: `No record in the policy of ${tree.domain} uses ptr.`,
      evidence: baseEvidence(tree),
    });
  }
  const list = tree.ptr.map((p) => `"${p.term}" in ${p.domain}`);
  const own = tree.ptr.some((p) => p.domain === tree.domain) && tree.root.record !== undefined;
  return make({
    id: 'spf.ptr',
    status: 'warn',
    severity: 'low',
    title: 'The SPF policy uses the deprecated ptr mechanism',
    detail: `${list.join(', ')}: RFC 7208 §5.5 says ptr SHOULD NOT be used; it is slow, depends on reverse DNS the domain does not control, and some receivers skip it, so listed senders may fail.`,
    evidence: { ...baseEvidence(tree), ptr: tree.ptr },
    remediation: own
      ? `Replace ptr with ip4:/ip6: (or a:) terms for the sending hosts; without ptr the record reads:\n${txtLine(
          tree.domain,
          fixedRecord(tree.root, (w) => (/^[+\-~?]?ptr(?::|$)/i.test(w) ? null : w)),
        )}`
      : 'Ask the provider whose record uses ptr for an include without it, or list its hosts with ip4:/ip6:.',
  });
}

/** spf.loop: includes or redirects that lead back to a record on the same path. */
export function loopFinding(tree: SpfTree): Finding {
  if (tree.loops.length === 0) {
    return make({
      id: 'spf.loop',
      status: 'pass',
      title: 'The SPF include tree has no loops',
      detail: `No include or redirect in the policy of ${tree.domain} leads back to a record already being evaluated.`,
      evidence: baseEvidence(tree),
    });
  }
  const paths = tree.loops.map((l) => l.path.join(' -> '));
  return make({
    id: 'spf.loop',
    status: 'fail',
    severity: 'high',
    title: 'The SPF policy includes itself in a loop: receivers return permerror',
    detail: `Evaluation runs in a circle (${paths.join('; ')}) until the ${SPF_MAX_DNS_LOOKUPS}-lookup limit ends it with permerror.`,
    evidence: { ...baseEvidence(tree), loops: tree.loops },
    remediation: tree.loops
      .map((l) => `Remove "${l.term}" from the record of ${l.path[l.path.length - 2] ?? tree.domain}.`)
      .join('\n'),
  });
}

/** spf.broad: the IPv4 space the policy authorises, with the broadest terms. */
export function broadFinding(tree: SpfTree): Finding {
  const { addressCount, networks } = tree.ipv4;
  const ev = { ...baseEvidence(tree), ipv4Addresses: addressCount, ipv4Networks: networks.slice(0, 50) };
  if (addressCount <= SPF_BROAD_IPV4_ADDRESSES) {
    return make({
      id: 'spf.broad',
      status: 'pass',
      title: 'The SPF policy authorises a narrow set of IPv4 addresses',
      detail: `The policy authorises ${count(addressCount)} IPv4 address(es) in ${networks.length} block(s).`,
      evidence: ev,
    });
  }
  const byTerm = new Map<
    string,
    { domain: string; term: string; nets: { address: string; bits: number }[] }
  >();
  for (const s of tree.ipv4.sources) {
    const key = `${s.domain}\u0000${s.term}`;
    const entry = byTerm.get(key) ?? { domain: s.domain, term: s.term, nets: [] };
    entry.nets.push({ address: s.network, bits: s.bits });
    byTerm.set(key, entry);
  }
  const broadest = [...byTerm.values()]
    .map((e) => ({ domain: e.domain, term: e.term, addresses: summariseIpv4(e.nets).addressCount }))
    .sort((a, b) => b.addresses - a.addresses)
    .slice(0, 5);
  const top = broadest.map((b) => `"${b.term}" in ${b.domain} (${count(b.addresses)} addresses)`).join(', ');
  const veryBroad = addressCount >= SPF_VERY_BROAD_IPV4_ADDRESSES;
  return make({
    id: 'spf.broad',
    status: veryBroad ? 'fail' : 'warn',
    severity: veryBroad ? 'high' : 'medium',
    title: 'The SPF policy authorises a very large IPv4 address space',
    detail: `The policy authorises ${count(addressCount)} IPv4 addresses (more than ${count(SPF_BROAD_IPV4_ADDRESSES)}); anyone who can send from that space passes SPF for ${tree.domain}. Broadest terms: ${top}.`,
    evidence: { ...ev, broadest },
    remediation: `Replace the broadest terms (${broadest.map((b) => b.term).join(', ')}) with the exact addresses or provider includes of the hosts that really send mail for ${tree.domain}.`,
  });
}
