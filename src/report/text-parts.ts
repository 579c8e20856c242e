import type pc from 'picocolors';
import type { Finding, Status } from '../core/finding.js';
import type { ControlGroup } from './group.js';
import type { StatusCounts } from './model.js';

/**
 * Pieces every plain-text report shares (domain scan, bounces), so a finding and a count read the
 * same whichever command printed them. What follows a finding's first line differs per report.
 */

type Colors = ReturnType<typeof pc.createColors>;

/** Four characters each, so the titles after them line up; exported for the other text reports. */
export const STATUS_LABEL: Record<Status, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  info: 'INFO',
  error: 'ERR ',
};

/** One colour per status; with colour off they are identity functions. */
export function statusPainters(c: Colors): Record<Status, (s: string) => string> {
  return {
    pass: c.green,
    fail: c.red,
    warn: c.yellow,
    info: c.cyan,
    error: c.magenta,
  };
}

/** A finding's first line: status, severity (left out when it passes), title and id. */
export function findingHeadLine(
  f: Finding,
  paint: (s: string) => string,
  dim: (s: string) => string,
): string {
  const sev = f.status === 'pass' ? '' : ` ${f.severity}`;
  return `    ${paint(STATUS_LABEL[f.status])}${sev}  ${f.title}  ${dim(f.id)}`;
}

/** The heading of a group of findings: the control and its articles, or `Input` when none applies. */
export function controlHeading(g: ControlGroup): string {
  return g.control ? `${g.control.title}  [${g.control.gdpr.join(', ')}]` : 'Input';
}

export function statusCountsText(s: StatusCounts): string {
  return `${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.pass} pass, ${s.info} info`;
}
