import pc from 'picocolors';
import { CONTROLS } from '../../controls/catalog.js';
import type { Finding } from '../../core/finding.js';
import { groupByControl } from '../../report/group.js';
import { HTML_STYLE } from '../../report/html-style.js';
import { countStatuses } from '../../report/model.js';
import type { BounceRun } from './run.js';
import { escapeHtml, findingHtml, statusBadges } from '../../report/html-parts.js';
import {
  controlHeading,
  findingHeadLine,
  statusCountsText,
  statusPainters,
} from '../../report/text-parts.js';

/** JSON report: the run document as is. */
export function renderBouncesJson(run: BounceRun): string {
  return JSON.stringify(run, null, 2) + '\n';
}

/** Plain-text report: per message, findings grouped by control, worst first; then the aggregate. */
export function renderBouncesText(run: BounceRun, o: { color: boolean; showPassing: boolean }): string {
  const c = pc.createColors(o.color);
  const paint = statusPainters(c);
  const lines: string[] = [];
  for (const m of run.messages) {
    lines.push(
      `${c.bold(m.source)}  ${m.kind}${m.subject ? `  "${m.subject}"` : ''}  ${statusCountsText(m.summary)}`,
    );
    for (const g of groupByControl(m.findings)) {
      const shown = g.findings.filter((f) => f.status !== 'pass' || o.showPassing);
      if (shown.length === 0) continue;
      lines.push(`  ${c.bold(controlHeading(g))}`);
      for (const f of shown) {
        lines.push(findingHeadLine(f, paint[f.status], c.dim));
        if (f.status !== 'pass') {
          lines.push(`        ${f.detail}`);
          const ev = evidenceLine(f);
          if (ev) lines.push(`        ${c.dim(ev)}`);
        }
      }
    }
    lines.push('');
  }
  lines.push(...aggregateText(run));
  return lines.join('\n') + '\n';
}

function aggregateText(run: BounceRun): string[] {
  const k = run.aggregate.byKind;
  const out = [
    `${run.aggregate.messages} message(s): ${k.dsn} DSN, ${k.bounce} other bounce, ${k.autoreply} auto-reply, ${k.other} other, ${k.unreadable} unreadable`,
    `findings: ${statusCountsText(run.summary)}`,
  ];
  const ids = Object.entries(run.aggregate.byFinding).sort((a, b) => b[1] - a[1]);
  for (const [id, n] of ids) out.push(`  ${String(n).padStart(5)}  ${id}`);
  const fixes = remediations(run);
  if (fixes.length > 0) {
    out.push('', 'What to change:');
    for (const [id, fix] of fixes) out.push(`  ${id}: ${fix}`);
  }
  return out;
}

/** One remediation per failing finding id, so a long run does not repeat them per message. */
function remediations(run: BounceRun): [string, string][] {
  const seen = new Map<string, string>();
  for (const m of run.messages)
    for (const f of m.findings)
      if (
        f.status !== 'pass' &&
        f.remediation &&
        !seen.has(f.id) &&
        ![...seen.values()].includes(f.remediation)
      )
        seen.set(f.id, f.remediation);
  return [...seen];
}

/** The first matched excerpts of a finding, already redacted by the analysis. */
function evidenceLine(f: Finding): string | undefined {
  const ev = f.evidence as {
    matches?: { where?: string; excerpt?: string; context?: string; phrase?: string }[];
  } | null;
  const first = ev?.matches?.[0];
  if (!first) return undefined;
  const more = (ev?.matches?.length ?? 1) > 1 ? ` (+${(ev?.matches?.length ?? 1) - 1} more)` : '';
  return `${first.where ?? first.phrase ?? ''}: ${first.excerpt ?? first.context ?? ''}${more}`;
}

/** One self-contained HTML page (no scripts, no fetches). */
export function renderBouncesHtml(run: BounceRun): string {
  const all = run.messages.flatMap((m) => m.findings);
  const k = run.aggregate.byKind;
  const rows = Object.entries(run.aggregate.byFinding)
    .sort((a, b) => b[1] - a[1])
    .map(([id, n]) => `<tr><td><code>${escapeHtml(id)}</code></td><td>${n}</td></tr>`)
    .join('');
  const controls = CONTROLS.map((c) => {
    const mine = all.filter((f) => f.controls[0] === c.id);
    if (mine.length === 0) return '';
    return `<tr><td><strong>${escapeHtml(c.title)}</strong><br><span class="why">${escapeHtml(c.why)}</span></td><td>${escapeHtml(c.gdpr.join(', '))}</td><td>${statusBadges(countStatuses(mine))}</td></tr>`;
  }).join('');
  const sections = run.messages
    .map((m) => {
      const groups = groupByControl(m.findings)
        .map(
          (g) =>
            `<h3>${g.control ? `${escapeHtml(g.control.title)} <span class="art">${escapeHtml(g.control.gdpr.join(', '))}</span>` : 'Input'}</h3>${g.findings.map(findingHtml).join('')}`,
        )
        .join('');
      return `<section class="domain"><h2>${escapeHtml(m.source)}</h2><p class="meta">${escapeHtml(m.kind)}${m.subject ? ` · ${escapeHtml(m.subject)}` : ''}${m.reasons.length ? ` · ${escapeHtml(m.reasons.join('; '))}` : ''}</p><p>${statusBadges(m.summary)}</p>${groups}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailcomply — bounces and auto-replies</title>
<style>${HTML_STYLE}</style></head><body>
<header><h1>Bounce and auto-reply disclosure</h1>
<p class="meta">mailcomply ${escapeHtml(run.version)} · ${escapeHtml(run.startedAt)} · ${run.aggregate.messages} message(s): ${k.dsn} DSN, ${k.bounce} other bounce, ${k.autoreply} auto-reply, ${k.other} other, ${k.unreadable} unreadable · personal data ${run.personalData ? 'shown' : 'redacted'}</p>
<p>${statusBadges(run.summary)}</p></header>
<section><h2>Summary per control</h2><table><thead><tr><th>Control</th><th>GDPR</th><th>Findings</th></tr></thead><tbody>${controls}</tbody></table></section>
<section><h2>Findings across all messages</h2><table><thead><tr><th>Finding</th><th>Messages</th></tr></thead><tbody>${rows}</tbody></table></section>
${sections}
</body></html>
`;
}
