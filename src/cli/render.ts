import { renderHtml } from '../report/html.js';
import { renderJson } from '../report/json.js';
import type { ScanRun } from '../report/model.js';
import { renderText } from '../report/text.js';
import type { Format } from './options.js';
import { useColor } from './output.js';

/** Renders a run in the chosen format; text is coloured only when going to a terminal. */
export function renderReport(
  run: ScanRun,
  format: Format,
  o: { quiet: boolean; out: string | undefined },
): string {
  if (format === 'json') return renderJson(run);
  if (format === 'html') return renderHtml(run);
  return renderText(run, { color: !o.out && useColor(process.stdout), showPassing: !o.quiet });
}
