/**
 * Processor discovery: walks the records the scan already asked for (SPF include/redirect tree, MX
 * hosts, DKIM selector CNAMEs, DMARC rua/ruf, TLS-RPT rua, the MTA-STS policy host) through the
 * domain's caching resolver, so discovery adds almost no DNS queries to a scan.
 */
import { selectorsToProbe } from '../domain/dkim/selectors.js';
import { discoverDmarc } from '../domain/dmarc/discover.js';
import { parseDmarc } from '../domain/dmarc/parse.js';
import type { ReportUri } from '../domain/dmarc/uri.js';
import { isStsRecord } from '../domain/mta-sts-record.js';
import { lookupMx } from '../domain/mx.js';
import { walkSpf, staticTarget } from '../domain/spf/tree.js';
import type { SpfTreeNode } from '../domain/spf/tree.js';
import { dnsLookup, txtTexts } from '../domain/tag-list.js';
import { isTlsRptRecord, parseTlsRpt } from '../domain/tls-rpt.js';
import type { DomainContext } from '../domain/types.js';
import type { ProcessorRegister } from './register.js';
import type { MatchKind } from './schema.js';
import { PROCESSOR_ROLES, type DiscoveredProcessor, type ProcessorEvidence } from './types.js';

/** Collects processors of one domain, merging roles and evidence per processor. */
class Collector {
  readonly byKey = new Map<string, DiscoveredProcessor>();
  constructor(
    private readonly register: ProcessorRegister,
    private readonly domain: string,
  ) {}

  /** Records `ev` when its name is a third party's; returns false for the organisation's own names. */
  add(kind: MatchKind, ev: ProcessorEvidence): boolean {
    const id = this.register.identify(ev.name, kind, this.domain);
    if (!id) return false;
    let p = this.byKey.get(id.key);
    if (!p) {
      p = { ...id, roles: [], evidence: [] };
      this.byKey.set(id.key, p);
    }
    if (!p.roles.includes(ev.role)) p.roles.push(ev.role);
    if (!p.evidence.some((e) => e.role === ev.role && e.name === ev.name && e.via === ev.via))
      p.evidence.push(ev);
    return true;
  }

  list(): DiscoveredProcessor[] {
    const rank = (p: DiscoveredProcessor): number =>
      Math.min(...p.roles.map((r) => PROCESSOR_ROLES.indexOf(r)));
    for (const p of this.byKey.values())
      p.roles.sort((a, b) => PROCESSOR_ROLES.indexOf(a) - PROCESSOR_ROLES.indexOf(b));
    return [...this.byKey.values()].sort(
      (a, b) =>
        Number(b.identified) - Number(a.identified) || rank(a) - rank(b) || a.name.localeCompare(b.name),
    );
  }
}

/** The processors of one domain, and whether a single DMARC record is in force (ruf is judged only then). */
export interface Discovery {
  processors: DiscoveredProcessor[];
  dmarcRecord: boolean;
}

/** Finds every processor `ctx.domain` points mail data to; never throws for DNS failures. */
export async function discoverProcessors(
  ctx: DomainContext,
  register: ProcessorRegister,
): Promise<Discovery> {
  const c = new Collector(register, ctx.domain);
  const [, , , dmarcRecord] = await Promise.all([
    fromSpf(ctx, c),
    fromMx(ctx, c),
    fromDkim(ctx, c),
    fromReports(ctx, c),
    fromMtaSts(ctx, c),
  ]);
  return { processors: c.list(), dmarcRecord };
}

async function fromSpf(ctx: DomainContext, c: Collector): Promise<void> {
  const tree = await walkSpf(ctx.domain, ctx);
  // Below a third party's node, the names are that party's own business: only the top is listed.
  const visit = (node: SpfTreeNode): void => {
    for (const term of node.terms) {
      if (term.type !== 'mechanism' || (term.name !== 'a' && term.name !== 'mx')) continue;
      if (term.qualifier !== '+' || !node.authorising || !term.domainTokens) continue;
      const target = staticTarget(term.domainTokens, node.domain, tree.domain);
      if (target) c.add('spf', { role: 'outbound-sender', source: 'spf', name: target, via: term.text });
    }
    for (const child of node.children) {
      if (!child.authorising || child.problem?.kind === 'invalid-domain') continue;
      const ev: ProcessorEvidence = { role: 'outbound-sender', source: 'spf', name: child.domain };
      if (child.term) ev.via = child.term;
      if (!c.add('spf', ev) && child.problem?.kind !== 'loop') visit(child);
    }
  };
  visit(tree.root);
}

async function fromMx(ctx: DomainContext, c: Collector): Promise<void> {
  const mx = await lookupMx(ctx);
  for (const h of mx.hosts) {
    if (!h.ipLiteral) c.add('mx', { role: 'inbound-mx', source: 'mx', name: h.exchange });
  }
}

async function fromDkim(ctx: DomainContext, c: Collector): Promise<void> {
  // The same selectors as the DKIM check, so every lookup here is a cache hit.
  const { selectors } = selectorsToProbe(ctx.options.dkimSelectors);
  await Promise.all(
    selectors.map(async (selector) => {
      const name = `${selector}._domainkey.${ctx.domain}`;
      const o = await dnsLookup(ctx, name, 'TXT');
      if (!o.ok) return;
      for (const cname of o.result.cnames) {
        const target = String(cname.data).replace(/\.$/, '').toLowerCase();
        if (c.add('dkim', { role: 'dkim-signer', source: 'dkim', name: target, via: name })) return;
      }
    }),
  );
}

function addReports(
  c: Collector,
  uris: readonly ReportUri[],
  role: ProcessorEvidence['role'],
  source: 'dmarc' | 'tls-rpt',
  via: string,
): void {
  for (const u of uris) {
    if (!u.problem && u.domain) c.add('reports', { role, source, name: u.domain, via });
  }
}

async function fromReports(ctx: DomainContext, c: Collector): Promise<boolean> {
  const [dmarc, tls] = await Promise.all([
    discoverDmarc(ctx),
    dnsLookup(ctx, `_smtp._tls.${ctx.domain}`, 'TXT'),
  ]);
  const record = dmarc.candidates.length === 1 ? dmarc.candidates[0] : undefined;
  if (record) {
    const rec = parseDmarc(record);
    addReports(c, rec.rua, 'report-aggregate', 'dmarc', `rua at _dmarc.${dmarc.policyDomain}`);
    addReports(c, rec.ruf, 'report-forensic', 'dmarc', `ruf at _dmarc.${dmarc.policyDomain}`);
  }
  if (tls.ok) {
    const texts = txtTexts(tls.result).filter(isTlsRptRecord);
    if (texts.length === 1)
      addReports(
        c,
        parseTlsRpt(texts[0] ?? '').rua,
        'report-tls',
        'tls-rpt',
        `rua at _smtp._tls.${ctx.domain}`,
      );
  }
  return record !== undefined;
}

async function fromMtaSts(ctx: DomainContext, c: Collector): Promise<void> {
  const rec = await dnsLookup(ctx, `_mta-sts.${ctx.domain}`, 'TXT');
  if (!rec.ok || !txtTexts(rec.result).some(isStsRecord)) return;
  // Only domains with MTA-STS pay this one query; hosted policies are CNAMEs to the provider.
  const host = `mta-sts.${ctx.domain}`;
  const a = await dnsLookup(ctx, host, 'A');
  if (!a.ok) return;
  for (const cname of a.result.cnames) {
    const target = String(cname.data).replace(/\.$/, '').toLowerCase();
    if (c.add('mtaSts', { role: 'mta-sts-host', source: 'mta-sts', name: target, via: host })) return;
  }
}
