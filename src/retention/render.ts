import type { RetentionEvidence } from './executor.js';
import type { RetentionPlan, StorePlan } from './plan-types.js';

/** 1536 → "1.5 KiB": plans are read by people deciding whether to confirm them. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function storeHeader(s: StorePlan): string {
  const bytes = s.items.reduce((n, i) => n + i.bytes, 0);
  const oldest = s.items.length ? Math.min(...s.items.map((i) => i.oldest ?? i.time)) : undefined;
  const what = s.type === 'log' ? 'file(s)' : s.type === 'postfix-queue' ? 'queued message(s)' : 'message(s)';
  return (
    `${s.name} (${s.type}, ${s.action} after ${s.maxAge}, before ${day(s.cutoff)}): ` +
    `${s.items.length} ${what}, ${humanBytes(bytes)}` +
    (oldest !== undefined ? `, oldest ${day(oldest)}` : '') +
    `; ${s.kept} kept` +
    (s.alreadyDone ? `, ${s.alreadyDone} already anonymised` : '') +
    (s.errors.length ? `, ${s.errors.length} error(s)` : '')
  );
}

/** The plan as text: one block per store, each item on a line (capped at `maxItems` per store). */
export function renderPlanText(plan: RetentionPlan, maxItems = 50): string {
  const out: string[] = [`Retention plan (policy ${plan.policyHash.slice(0, 12)}, ${plan.createdAt})`, ''];
  for (const s of plan.stores) {
    out.push(storeHeader(s));
    for (const i of s.items.slice(0, maxItems)) {
      const what = i.kind === 'queued' ? `${i.queue}/${i.id}` : i.path;
      out.push(`  ${s.action.padEnd(9)} ${what}  ${humanBytes(i.bytes)}  ${day(i.time)} (${i.timeSource})`);
    }
    if (s.items.length > maxItems)
      out.push(`  ... and ${s.items.length - maxItems} more (--format json lists all)`);
    for (const e of s.errors)
      out.push(`  error     ${e.path ?? e.id ?? ''}${e.path || e.id ? ': ' : ''}${e.reason}`);
    out.push('');
  }
  const items = plan.stores.reduce((n, s) => n + s.items.length, 0);
  const bytes = plan.stores.reduce((n, s) => n + s.items.reduce((m, i) => m + i.bytes, 0), 0);
  const errors = plan.stores.reduce((n, s) => n + s.errors.length, 0);
  out.push(`Total: ${items} item(s), ${humanBytes(bytes)}, ${errors} error(s). Nothing was changed.`);
  return `${out.join('\n')}\n`;
}

/** The result of an apply as text. */
export function renderApplyText(
  ev: RetentionEvidence,
  evidence: { path: string; hash: string; seq: number },
): string {
  const out: string[] = [];
  for (const s of ev.stores) {
    const c = s.counts;
    out.push(
      `${s.name} (${s.type}, ${s.action}): ${c.done} of ${c.planned} done, ${humanBytes(c.bytes)}, ${c.kept} kept, ${s.errors.length} error(s)`,
    );
    for (const e of s.errors)
      out.push(`  error ${e.path ?? e.id ?? ''}${e.path || e.id ? ': ' : ''}${e.reason}`);
  }
  out.push(
    `Total: ${ev.totals.done} done, ${humanBytes(ev.totals.bytes)}, ${ev.totals.failed} error(s).`,
    `Evidence: ${evidence.path} entry ${evidence.seq} (${evidence.hash.slice(0, 16)}...)`,
  );
  return `${out.join('\n')}\n`;
}
