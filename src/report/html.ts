import { CONTROLS } from '../controls/catalog.js';
import type { Finding } from '../core/finding.js';
import { groupByControl } from './group.js';
import { countStatuses, type ScanRun } from './model.js';
import { HTML_STYLE } from './html-style.js';
import { processorsHtml } from './processors.js';
import { escapeHtml, findingHtml, statusBadges } from './html-parts.js';

/** One self-contained HTML page (no scripts, no network fetches) a DPO can read and archive. */
export function renderHtml(run: ScanRun): string {
  const all = run.domains.flatMap((d) => d.findings);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailcomply report — ${escapeHtml(
    run.domains
      .map((d) => d.domain)
      .slice(0, 3)
      .join(', '),
  )}${run.domains.length > 3 ? ' …' : ''}</title>
<style>${HTML_STYLE}</style></head><body>
<header><h1>Email GDPR posture</h1>
<p class="meta">mailcomply ${escapeHtml(run.version)} · started ${escapeHtml(run.startedAt)} · ${run.domains.length} domain(s) ·
resolver(s) ${escapeHtml(run.resolvers.join(', ') || 'system')}</p>
<p class="meta">DNSSEC verdicts rely on the resolver above being a validating resolver you trust.</p>
<p>${statusBadges(run.summary)}</p></header>
<section><h2>Summary per control</h2>${controlSummary(all)}</section>
${run.domains.map(domainSection).join('\n')}
</body></html>
`;
}

function controlSummary(findings: Finding[]): string {
  const rows = CONTROLS.map((c) => {
    const mine = findings.filter((f) => f.controls[0] === c.id);
    if (mine.length === 0) return '';
    return `<tr><td><strong>${escapeHtml(c.title)}</strong><br><span class="why">${escapeHtml(c.why)}</span></td>
<td>${escapeHtml(c.gdpr.join(', '))}</td><td>${statusBadges(countStatuses(mine))}</td></tr>`;
  }).join('');
  return `<table><thead><tr><th>Control</th><th>GDPR</th><th>Findings</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function domainSection(d: ScanRun['domains'][number]): string {
  const groups = groupByControl(d.findings)
    .map((g) => {
      const title = g.control
        ? `${g.control.title} <span class="art">${escapeHtml(g.control.gdpr.join(', '))}</span>`
        : 'Input';
      return `<h3>${title}</h3>${g.findings.map(findingHtml).join('')}`;
    })
    .join('');
  const input = d.input ? ` <span class="meta">(${escapeHtml(d.input)})</span>` : '';
  return `<section class="domain"><h2 id="${escapeHtml(d.domain)}">${escapeHtml(d.domain)}${input}</h2>${grade(d)}<p>${statusBadges(d.summary)}</p>${groups}${processorsHtml(d.processors, escapeHtml)}</section>`;
}

function grade(d: ScanRun['domains'][number]): string {
  if (!d.grade) return '';
  const v = (x: 'pass' | 'fail') => `<span class="st ${x}">${x}</span>`;
  const reasons = d.grade.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('');
  return `<div class="grade"><p><strong>DSK grade</strong> (German DPAs\u2019 guidance on sending personal data by email, 2021):
normal risk ${v(d.grade.normalRisk)} · high risk ${v(d.grade.highRisk)}</p>${reasons ? `<ul>${reasons}</ul>` : ''}</div>`;
}
