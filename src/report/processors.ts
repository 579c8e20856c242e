/**
 * The processors section of the text and HTML reports: who handles the domain's mail, where, in
 * which role, and what the register says. Shared with `mailcomply processors`.
 */
import { ROLE_LABELS, type DiscoveredProcessor } from '../providers/types.js';

const REGION_LABELS: Record<DiscoveredProcessor['region'], string> = {
  eea: 'EEA',
  adequacy: 'adequacy decision',
  'third-country': 'third country',
  unknown: 'unknown',
};

/** Roles of a processor in words. */
export function roleList(p: DiscoveredProcessor): string {
  return p.roles.map((r) => ROLE_LABELS[r]).join(', ');
}

/** Where a processor is, for Chapter V: country and region, plus the DPF fact for U.S. entities. */
export function locationText(p: DiscoveredProcessor): string {
  const base = p.country === 'unknown' ? 'location unknown' : `${p.country}, ${REGION_LABELS[p.region]}`;
  if (p.dpf && p.dpf.status !== 'not-applicable')
    return `${base}; DPF ${p.dpf.status} (recorded ${p.dpf.asOf})`;
  return base;
}

/** What the register says, in a few words. */
export function registerText(p: DiscoveredProcessor): string {
  const d = p.declared;
  if (!d) return 'not in register';
  // Within the EEA nothing is transferred, so a missing mechanism is not a gap there.
  const transfer = d.transfer ?? (p.region === 'eea' ? 'none needed (EEA)' : 'not recorded');
  const parts = [`DPA ${d.dpa ?? 'missing'}`, `transfer ${transfer}`];
  if (d.tia) parts.push(`TIA ${d.tia}`);
  return parts.join(', ');
}

/** Text lines of the section (empty when discovery did not run). */
export function processorsText(
  processors: readonly DiscoveredProcessor[] | undefined,
  bold: (s: string) => string,
): string[] {
  if (!processors) return [];
  const out = ['', `  ${bold('Processors seen in DNS')}  [Art. 28, 30, 44-46]`];
  if (processors.length === 0) out.push('    none: every name belongs to the organisation');
  for (const p of processors) {
    out.push(`    ${p.name}${showLegal(p) ? ` — ${p.legalName}` : ''}`);
    out.push(`        ${roleList(p)} · ${locationText(p)} · ${registerText(p)}`);
    out.push(`        seen: ${[...new Set(p.evidence.map((e) => e.name))].join(', ')}`);
  }
  return out;
}

/** HTML table of the section (empty when discovery did not run). */
export function processorsHtml(
  processors: readonly DiscoveredProcessor[] | undefined,
  esc: (s: string) => string,
): string {
  if (!processors) return '';
  const rows = processors
    .map(
      (p) => `<tr><td><strong>${esc(p.name)}</strong><br><span class="meta">${esc(p.legalName)}</span></td>
<td>${esc(roleList(p))}</td><td>${esc(locationText(p))}</td><td>${esc(registerText(p))}</td>
<td><code>${esc([...new Set(p.evidence.map((e) => e.name))].join(' '))}</code></td></tr>`,
    )
    .join('');
  const body = processors.length
    ? `<table><thead><tr><th>Processor</th><th>Roles</th><th>Where</th><th>Register</th><th>Seen in DNS</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>None: every name in the mail DNS belongs to the organisation.</p>';
  return `<h3>Processors seen in DNS <span class="art">Art. 28, 30, 44-46</span></h3>${body}`;
}

/** True when the legal name adds something to the display name. */
export function showLegal(p: { identified: boolean; legalName: string; name: string }): boolean {
  return p.identified && p.legalName !== 'unknown' && p.legalName !== p.name;
}
