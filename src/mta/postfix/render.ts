import pc from 'picocolors';
import { breaches, type Finding, type Severity } from '../../core/finding.js';
import { VERSION } from '../../core/version.js';
import { groupByControl } from '../../report/group.js';
import { HTML_STYLE } from '../../report/html-style.js';
import { countStatuses, type StatusCounts } from '../../report/model.js';
import { escapeHtml, findingHtml } from '../../report/html-parts.js';
import { STATUS_LABEL, statusPainters } from '../../report/text-parts.js';

/** A configuration audit as a versioned JSON document (`schema: 1`), the input of every renderer. */
export interface AuditRun {
  schema: 1;
  tool: 'mailcomply';
  version: string;
  /** `postfix` or `dovecot`. */
  audit: string;
  /** The config directory, file or command that was read. */
  target: string;
  startedAt: string;
  finishedAt: string;
  summary: StatusCounts;
  findings: Finding[];
}

/** Wraps audit findings into the document the renderers take. */
export function buildAuditRun(
  audit: string,
  target: string,
  findings: Finding[],
  startedAt: Date,
  finishedAt: Date,
): AuditRun {
  return {
    schema: 1,
    tool: 'mailcomply',
    version: VERSION,
    audit,
    target,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    summary: countStatuses(findings),
    findings,
  };
}

/** True when a finding is at or above the `--fail-on` threshold. */
export function auditBreaches(run: AuditRun, threshold: Severity | undefined): boolean {
  return threshold !== undefined && run.findings.some((f) => breaches(f, threshold));
}

/** Plain text: findings grouped by control, worst first; passing ones hidden when `quiet`. */
export function renderAuditText(run: AuditRun, o: { color: boolean; quiet: boolean }): string {
  const c = pc.createColors(o.color);
  const paint = statusPainters(c);
  const lines = [c.bold(`${run.audit} audit of ${run.target}`) + `  ${counts(run.summary)}`];
  for (const g of groupByControl(run.findings)) {
    const shown = g.findings.filter((f) => !o.quiet || f.status !== 'pass');
    if (shown.length === 0) continue;
    lines.push('', `  ${c.bold(g.control ? `${g.control.title}  [${g.control.gdpr.join(', ')}]` : 'Input')}`);
    for (const f of shown) {
      lines.push(
        `    ${paint[f.status](STATUS_LABEL[f.status])}${f.status === 'pass' ? '' : ` ${f.severity}`}  ${f.title}  ${c.dim(f.id)}`,
      );
      if (f.status !== 'pass') {
        lines.push(`        ${f.detail}`);
        if (f.remediation) lines.push(`        Fix: ${f.remediation}`);
      }
    }
  }
  lines.push('', `${run.findings.length} finding(s): ${counts(run.summary)}`);
  return lines.join('\n') + '\n';
}

function counts(s: StatusCounts): string {
  return `${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.pass} pass, ${s.info} info`;
}

/** One self-contained HTML page in the style of the scan report. */
export function renderAuditHtml(run: AuditRun): string {
  const groups = groupByControl(run.findings)
    .map((g) => {
      const title = g.control
        ? `${escapeHtml(g.control.title)} <span class="art">${escapeHtml(g.control.gdpr.join(', '))}</span>`
        : 'Input';
      return `<h3>${title}</h3>${g.findings.map(findingHtml).join('')}`;
    })
    .join('');
  const badges = (['fail', 'error', 'warn', 'pass', 'info'] as const)
    .map((k) => `<span class="st ${k}">${run.summary[k]} ${k}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailcomply ${escapeHtml(run.audit)} audit — ${escapeHtml(run.target)}</title>
<style>${HTML_STYLE}</style></head><body>
<header><h1>${escapeHtml(run.audit)} configuration audit</h1>
<p class="meta">mailcomply ${escapeHtml(run.version)} · ${escapeHtml(run.startedAt)} · ${escapeHtml(run.target)}</p>
<p>${badges}</p></header>
<section>${groups}</section>
</body></html>
`;
}

/** Renders an audit in the chosen format. */
export function renderAudit(
  run: AuditRun,
  format: 'text' | 'json' | 'html',
  o: { color: boolean; quiet: boolean },
): string {
  if (format === 'json') return JSON.stringify(run, null, 2) + '\n';
  if (format === 'html') return renderAuditHtml(run);
  return renderAuditText(run, o);
}
