/**
 * Text and HTML renderings of the processor register (`mailcomply processors`).
 */
import pc from 'picocolors';
import { compareFindings } from '../core/finding.js';
import type { ProcessorsDoc, RegisterRow } from '../providers/report.js';
import { ROLE_LABELS } from '../providers/types.js';
import { HTML_STYLE } from './html-style.js';
import { locationText, processorsText, registerText, showLegal } from './processors.js';
import { escapeHtml, findingSummaryHtml } from './html-parts.js';
import { STATUS_LABEL, statusPainters } from './text-parts.js';

function rowRoles(r: RegisterRow): string {
  return r.roles.map((x) => ROLE_LABELS[x]).join(', ');
}

/** Plain text: the merged register, then per domain its processors and the non-passing findings. */
export function renderProcessorsText(doc: ProcessorsDoc, o: { color: boolean }): string {
  const c = pc.createColors(o.color);
  const paint = statusPainters(c);
  const lines = [
    c.bold(`Processor register${doc.organisation ? ` of ${doc.organisation}` : ''}`) +
      `  (${doc.register.length} processor(s), ${doc.domains.length} domain(s); register: ${doc.config ?? 'none'})`,
  ];
  for (const r of doc.register) {
    lines.push(`  ${c.bold(r.name)}${showLegal(r) ? ` — ${r.legalName}` : ''}`);
    lines.push(
      `      ${rowRoles(r)} · ${locationText({ ...r, evidence: [] })} · ${registerText({ ...r, evidence: [] })}`,
    );
    lines.push(`      domains: ${r.domains.join(', ')}`);
  }
  for (const d of doc.domains) {
    lines.push('', c.bold(`${d.domain}${d.input ? ` (${d.input})` : ''}`));
    lines.push(...processorsText(d.processors, c.bold).slice(1));
    const shown = [...d.findings].filter((f) => f.status !== 'pass').sort(compareFindings);
    for (const f of shown) {
      lines.push(`    ${paint[f.status](STATUS_LABEL[f.status])} ${f.severity}  ${f.title}  ${c.dim(f.id)}`);
      lines.push(`        ${f.detail}`);
      if (f.remediation) lines.push(...`Fix: ${f.remediation}`.split('\n').map((l) => `        ${l}`));
    }
  }
  const s = doc.summary;
  lines.push('', `${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.pass} pass, ${s.info} info`);
  return lines.join('\n') + '\n';
}

/** One self-contained HTML page: the register table, then the findings per domain. */
export function renderProcessorsHtml(doc: ProcessorsDoc): string {
  const rows = doc.register
    .map(
      (
        r,
      ) => `<tr><td><strong>${escapeHtml(r.name)}</strong><br><span class="meta">${escapeHtml(r.legalName)}</span></td>
<td>${escapeHtml(rowRoles(r))}</td><td>${escapeHtml(locationText({ ...r, evidence: [] }))}</td>
<td>${escapeHtml(registerText({ ...r, evidence: [] }))}</td><td>${escapeHtml(r.domains.join(', '))}</td>
<td><code>${escapeHtml(r.seen.join(' '))}</code></td></tr>`,
    )
    .join('');
  const domains = doc.domains
    .map((d) => {
      const list = [...d.findings].sort(compareFindings).map(findingSummaryHtml).join('');
      return `<section><h2 id="${escapeHtml(d.domain)}">${escapeHtml(d.domain)}</h2>${list}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailcomply processor register</title>
<style>${HTML_STYLE}</style></head><body>
<header><h1>Processor register${doc.organisation ? ` — ${escapeHtml(doc.organisation)}` : ''}</h1>
<p class="meta">mailcomply ${escapeHtml(doc.version)} · ${escapeHtml(doc.generatedAt)} · register file ${escapeHtml(doc.config ?? 'none')} ·
GDPR Art. 28, 30(1)(d), 44-46</p></header>
<section><h2>Processors seen in DNS</h2>
<table><thead><tr><th>Processor</th><th>Roles</th><th>Where</th><th>Register</th><th>Domains</th><th>Seen in DNS</th></tr></thead>
<tbody>${rows}</tbody></table></section>
${domains}
</body></html>
`;
}
