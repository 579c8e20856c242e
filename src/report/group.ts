import { CONTROLS, type Control } from '../controls/catalog.js';
import { compareFindings, type Finding } from '../core/finding.js';

export interface ControlGroup {
  /** Undefined for findings that feed no control (input errors). */
  control: Control | undefined;
  findings: Finding[];
}

/** Groups findings by their first control, worst group first, worst finding first within a group. */
export function groupByControl(findings: readonly Finding[]): ControlGroup[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = f.controls[0] ?? '';
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const out: ControlGroup[] = [...groups].map(([id, list]) => ({
    control: CONTROLS.find((c) => c.id === id),
    findings: [...list].sort(compareFindings),
  }));
  return out.sort((a, b) => {
    const worst = compareFindings(a.findings[0] as Finding, b.findings[0] as Finding);
    return worst || catalogueIndex(a.control) - catalogueIndex(b.control);
  });
}

function catalogueIndex(c: Control | undefined): number {
  return c ? CONTROLS.indexOf(c) : -1;
}
