import type { ScanRun } from './model.js';

/** The JSON report: the run document as is, described by schemas/scan-report.schema.json. */
export function renderJson(run: ScanRun): string {
  return JSON.stringify(run, null, 2) + '\n';
}
