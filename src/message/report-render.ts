import pc from 'picocolors';
import { CONTROLS } from '../controls/catalog.js';
import { compareFindings, type Finding } from '../core/finding.js';
import { HTML_STYLE } from '../report/html-style.js';
import type { HeadersRun, Tally } from './analyze-run.js';
import { escapeHtml, findingHtml } from '../report/html-parts.js';
import { STATUS_LABEL, statusPainters } from '../report/text-parts.js';

/** JSON form, versioned (`schema: 1`). */
export function renderHeadersJson(run: HeadersRun): string {
  return JSON.stringify(run, null, 2) + '\n';
}

/** Text form: the aggregate first, then each message that exposes something (all of them unless quiet). */
export function renderHeadersText(run: HeadersRun, o: { color: boolean; quiet?: boolean }): string {
  const c = pc.createColors(o.color);
  const paint = statusPainters(c);
  const a = run.aggregate;
  const lines: string[] = [];
  if (!o.quiet) {
    for (const m of run.messages) {
      const shown = m.findings.filter((f) => f.status !== 'pass').sort(compareFindings);
      if (shown.length === 0) continue;
      lines.push(c.bold(m.source));
      for (const f of shown) {
        lines.push(`  ${paint[f.status](STATUS_LABEL[f.status])} ${f.severity}  ${f.title}  ${c.dim(f.id)}`);
        for (const item of evidenceLines(f)) lines.push(`      ${c.dim(item)}`);
      }
    }
    if (lines.length) lines.push('');
  }
  lines.push(c.bold(`Header exposure: ${a.messages} message(s), ${a.clean} clean, ${a.errors} unreadable`));
  const ids = Object.entries(a.byFinding).sort((x, y) => y[1] - x[1]);
  for (const [id, n] of ids) lines.push(`  ${String(n).padStart(7)}  ${id}`);
  const tallies: [string, Tally[]][] = [
    ['Internal host names', a.internalHosts],
    ['Internal addresses', a.internalIps],
    ['Client software', a.software],
  ];
  for (const [title, list] of tallies) {
    if (!list.length) continue;
    lines.push('', `  ${c.bold(title)} (messages)`);
    for (const t of list) lines.push(`  ${String(t.messages).padStart(7)}  ${t.value}`);
  }
  const fixes = remediations(run);
  if (fixes.length) {
    lines.push('', `  ${c.bold('Fix')}`);
    for (const [id, fix] of fixes) lines.push(`    ${id}: ${fix}`);
  }
  return lines.join('\n') + '\n';
}

function evidenceLines(f: Finding): string[] {
  if (f.id === 'headers.read') return [f.detail];
  if (!Array.isArray(f.evidence)) return [];
  return (f.evidence as unknown[]).slice(0, 5).map((e) => {
    if (typeof e === 'string') return e;
    const item = e as { header?: string; excerpt?: string };
    return `${item.header ?? ''}: ${item.excerpt ?? ''}`;
  });
}

function remediations(run: HeadersRun): [string, string][] {
  const seen = new Map<string, string>();
  for (const m of run.messages)
    for (const f of m.findings) if (f.remediation && !seen.has(f.id)) seen.set(f.id, f.remediation);
  return [...seen].sort((x, y) => (x[0] < y[0] ? -1 : 1));
}

/** One self-contained HTML page with the aggregate and each exposing message. */
export function renderHeadersHtml(run: HeadersRun): string {
  const a = run.aggregate;
  const control = CONTROLS.find((x) => x.id === 'minimisation.headers');
  const rows = Object.entries(a.byFinding)
    .sort((x, y) => y[1] - x[1])
    .map(([id, n]) => `<tr><td><code>${escapeHtml(id)}</code></td><td>${n}</td></tr>`)
    .join('');
  const tally = (title: string, list: Tally[]) =>
    list.length
      ? `<h3>${escapeHtml(title)}</h3><table><tbody>${list.map((t) => `<tr><td><code>${escapeHtml(t.value)}</code></td><td>${t.messages}</td></tr>`).join('')}</tbody></table>`
      : '';
  const msgs = run.messages
    .filter((m) => m.findings.some((f) => f.status !== 'pass'))
    .map(
      (m) =>
        `<section><h3>${escapeHtml(m.source)}</h3>${[...m.findings].sort(compareFindings).map(findingHtml).join('')}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailcomply header exposure</title>
<style>${HTML_STYLE}</style></head><body>
<header><h1>Header exposure</h1>
<p class="meta">mailcomply ${escapeHtml(run.version)} · started ${escapeHtml(run.startedAt)} · ${a.messages} message(s), ${a.clean} clean, ${a.errors} unreadable</p>
${control ? `<p class="why">${escapeHtml(control.title)} (${escapeHtml(control.gdpr.join(', '))}): ${escapeHtml(control.why)}</p>` : ''}
<p>${(['fail', 'error', 'warn', 'pass', 'info'] as const).map((k) => `<span class="st ${k}">${run.summary[k]} ${k}</span>`).join(' ')}</p></header>
<section><h2>Messages per finding</h2><table><thead><tr><th>Finding</th><th>Messages</th></tr></thead><tbody>${rows}</tbody></table>
${tally('Internal host names', a.internalHosts)}${tally('Internal addresses', a.internalIps)}${tally('Client software', a.software)}</section>
<section><h2>Messages</h2>${msgs || '<p>No message exposes anything.</p>'}</section>
</body></html>
`;
}
