import type { Finding, Status } from '../core/finding.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Status counts as coloured badges, worst first (styles in html-style.ts). */
export function statusBadges(s: Record<Status, number>): string {
  return (['fail', 'error', 'warn', 'pass', 'info'] as const)
    .map((k) => `<span class="st ${k}">${s[k]} ${k}</span>`)
    .join(' ');
}

/** One finding as every HTML report shows it: verdict, title, detail, fix, and the evidence folded. */
export function findingHtml(f: Finding): string {
  const esc = escapeHtml;
  return findingParts(f).replace(
    /<\/div>$/,
    `\n<details><summary>Evidence · ${esc(f.gdpr.join(', '))}</summary><pre>${esc(JSON.stringify(f.evidence, null, 2) ?? 'null')}</pre></details></div>`,
  );
}

/** A finding without its evidence, for summaries that link to the full report. */
export function findingSummaryHtml(f: Finding): string {
  return findingParts(f);
}

function findingParts(f: Finding): string {
  const esc = escapeHtml;
  const fix = f.remediation
    ? `<p class="fix"><strong>Fix:</strong> <code>${esc(f.remediation)}</code></p>`
    : '';
  return `<div class="finding ${f.status}"><p><span class="st ${f.status}">${f.status}</span>
<span class="sev">${f.status === 'pass' ? '' : esc(f.severity)}</span> <strong>${esc(f.title)}</strong>
<code class="id">${esc(f.id)}</code></p><p>${esc(f.detail)}</p>${fix}</div>`;
}
