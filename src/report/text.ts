import pc from 'picocolors';
import type { Finding, Status } from '../core/finding.js';
import { groupByControl } from './group.js';
import { processorsText } from './processors.js';
import type { ScanRun, StatusCounts } from './model.js';

export interface TextOptions {
  color: boolean;
  /** Show passing findings one line each (default) or hide them. */
  showPassing?: boolean;
}

const LABEL: Record<Status, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  info: 'INFO',
  error: 'ERR ',
};

/** Plain-text report: per domain, findings grouped by control, worst first. */
export function renderText(run: ScanRun, options: TextOptions): string {
  const c = pc.createColors(options.color);
  const paint: Record<Status, (s: string) => string> = {
    pass: c.green,
    fail: c.red,
    warn: c.yellow,
    info: c.cyan,
    error: c.magenta,
  };
  const lines: string[] = [];
  for (const d of run.domains) {
    lines.push(c.bold(`${d.domain}${d.input ? ` (${d.input})` : ''}`) + `  ${counts(d.summary)}`);
    if (d.grade) {
      const g = (v: 'pass' | 'fail') => (v === 'pass' ? c.green('PASS') : c.red('FAIL'));
      lines.push(`  DSK grade: normal risk ${g(d.grade.normalRisk)}, high risk ${g(d.grade.highRisk)}`);
      for (const r of d.grade.reasons) lines.push(`    - ${r}`);
    }
    for (const g of groupByControl(d.findings)) {
      const shown = g.findings.filter((f) => f.status !== 'pass' || options.showPassing !== false);
      if (shown.length === 0) continue;
      const head = g.control ? `${g.control.title}  [${g.control.gdpr.join(', ')}]` : 'Input';
      lines.push('', `  ${c.bold(head)}`);
      for (const f of shown) lines.push(...renderFinding(f, paint[f.status], c.dim));
    }
    lines.push(...processorsText(d.processors, c.bold));
    lines.push('');
  }
  lines.push(`${run.domains.length} domain(s): ${counts(run.summary)}`);
  return lines.join('\n') + '\n';
}

function renderFinding(f: Finding, paint: (s: string) => string, dim: (s: string) => string): string[] {
  const sev = f.status === 'pass' ? '' : ` ${f.severity}`;
  const out = [`    ${paint(LABEL[f.status])}${sev}  ${f.title}  ${dim(f.id)}`];
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

function counts(s: StatusCounts): string {
  return `${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.pass} pass, ${s.info} info`;
}
