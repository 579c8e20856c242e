import pc from 'picocolors';
import type { Finding } from '../core/finding.js';
import { groupByControl } from './group.js';
import { processorsText } from './processors.js';
import type { ScanRun } from './model.js';
import { controlHeading, findingHeadLine, statusCountsText, statusPainters } from './text-parts.js';

export interface TextOptions {
  color: boolean;
  /** Show passing findings one line each (default) or hide them. */
  showPassing?: boolean;
}

/** Plain-text report: per domain, findings grouped by control, worst first. */
export function renderText(run: ScanRun, options: TextOptions): string {
  const c = pc.createColors(options.color);
  const paint = statusPainters(c);
  const lines: string[] = [];
  for (const d of run.domains) {
    lines.push(c.bold(`${d.domain}${d.input ? ` (${d.input})` : ''}`) + `  ${statusCountsText(d.summary)}`);
    if (d.grade) {
      const g = (v: 'pass' | 'fail') => (v === 'pass' ? c.green('PASS') : c.red('FAIL'));
      lines.push(`  DSK grade: normal risk ${g(d.grade.normalRisk)}, high risk ${g(d.grade.highRisk)}`);
      for (const r of d.grade.reasons) lines.push(`    - ${r}`);
    }
    for (const g of groupByControl(d.findings)) {
      const shown = g.findings.filter((f) => f.status !== 'pass' || options.showPassing !== false);
      if (shown.length === 0) continue;
      lines.push('', `  ${c.bold(controlHeading(g))}`);
      for (const f of shown) lines.push(...renderFinding(f, paint[f.status], c.dim));
    }
    lines.push(...processorsText(d.processors, c.bold));
    lines.push('');
  }
  lines.push(`${run.domains.length} domain(s): ${statusCountsText(run.summary)}`);
  return lines.join('\n') + '\n';
}

function renderFinding(f: Finding, paint: (s: string) => string, dim: (s: string) => string): string[] {
  const out = [findingHeadLine(f, paint, dim)];
  if (f.status !== 'pass') {
    out.push(...wrap(f.detail, 8));
    if (f.remediation) out.push(...wrap(`Fix: ${f.remediation}`, 8));
  }
  return out;
}

function wrap(text: string, indent: number): string[] {
  const pad = ' '.repeat(indent);
  return text.split('\n').map((l) => pad + l);
}
