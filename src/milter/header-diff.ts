import type { HeaderField } from '../message/header-fields.js';

/** One header edit in milter terms. `index` for `change` is 1-based among fields of the same name. */
export type HeaderEdit =
  | { kind: 'change'; name: string; index: number; value: string }
  | { kind: 'delete'; name: string; index: number }
  | { kind: 'insert-top'; name: string; value: string }
  | { kind: 'add'; name: string; value: string };

const key = (name: string) => name.toLowerCase();

/**
 * Turns "the header as it was" and "the header as it should be" into the edits a milter can ask
 * for. Fields are matched in order by name (preferring an identical value), so the common cases
 * (values rewritten, fields removed) become in-place changes and deletions.
 *
 * Edits of one name are listed from the highest index down: an MTA renumbers the later fields of a
 * name when one is deleted (Postfix does), and working backwards keeps every index valid. Fields
 * that only exist in the new list go on top when they precede every kept field, else at the end: a
 * milter cannot address arbitrary positions reliably across MTAs (Postfix counts its own Received:
 * field when inserting but not when changing). The sanitiser only changes and removes fields, so
 * in practice every edit is an in-place change or a deletion.
 */
export function diffHeaders(before: readonly HeaderField[], after: readonly HeaderField[]): HeaderEdit[] {
  const matchOf = alignFields(before, after); // before index -> after index, -1 when dropped
  const matched = new Uint8Array(after.length);
  for (const j of matchOf) if (j >= 0) matched[j] = 1;
  const firstKept = matched.indexOf(1);
  // A new field between kept ones cannot be placed there; it and everything after it is re-added
  // at the end (their old copies deleted), so the final order is exactly `after`.
  let tail = after.length;
  for (let j = firstKept + 1; firstKept >= 0 && j < after.length; j++) {
    if (!matched[j]) {
      tail = j;
      break;
    }
  }
  if (tail < after.length) {
    for (let i = 0; i < matchOf.length; i++) if ((matchOf[i] as number) >= tail) matchOf[i] = -1;
  }
  const top = firstKept < 0 ? [...after] : after.slice(0, firstKept);
  const appended = after.slice(tail);
  const edits: HeaderEdit[] = [];
  const perName = new Map<string, number>();
  const byName = new Map<string, HeaderEdit[]>();
  for (let i = 0; i < before.length; i++) {
    const b = before[i] as HeaderField;
    const k = key(b.name);
    const index = (perName.get(k) ?? 0) + 1;
    perName.set(k, index);
    const j = matchOf[i] as number;
    let edit: HeaderEdit | undefined;
    if (j < 0) edit = { kind: 'delete', name: b.name, index };
    else if ((after[j] as HeaderField).value !== b.value)
      edit = { kind: 'change', name: b.name, index, value: (after[j] as HeaderField).value };
    if (!edit) continue;
    const list = byName.get(k);
    if (list) list.push(edit);
    else byName.set(k, [edit]);
  }
  for (const list of byName.values()) edits.push(...list.reverse());
  // Inserted at the top one by one, so the last one inserted ends up first.
  for (const f of [...top].reverse()) edits.push({ kind: 'insert-top', name: f.name, value: f.value });
  for (const f of appended) edits.push({ kind: 'add', name: f.name, value: f.value });
  return edits;
}

/**
 * Applies edits the way an MTA does (per-name indexes, deletions renumbering later fields), giving
 * the header a recipient will see. Used by tests and the benchmark to check edits end to end.
 */
export function applyHeaderEdits(
  before: readonly HeaderField[],
  edits: readonly HeaderEdit[],
): HeaderField[] {
  const fields = before.map((f) => ({ ...f }));
  const locate = (name: string, index: number): number => {
    const k = key(name);
    let n = 0;
    for (let i = 0; i < fields.length; i++) {
      if (key((fields[i] as HeaderField).name) === k && ++n === index) return i;
    }
    return -1;
  };
  for (const e of edits) {
    if (e.kind === 'add') fields.push({ name: e.name, value: e.value });
    else if (e.kind === 'insert-top') fields.unshift({ name: e.name, value: e.value });
    else {
      const at = locate(e.name, e.index);
      if (at < 0) continue; // as Postfix: a change to a missing field is ignored
      if (e.kind === 'delete') fields.splice(at, 1);
      else (fields[at] as HeaderField).value = e.value;
    }
  }
  return fields;
}

/** Largest middle section aligned optimally; past it a greedy pass keeps hostile headers cheap. */
const MAX_ALIGN_CELLS = 250_000;

const same = (a: HeaderField, b: HeaderField) => a.value === b.value && key(a.name) === key(b.name);

/**
 * Matches fields of the old list to fields of the new one, in order: identical runs at both ends,
 * then a longest-common-subsequence over names (identical values preferred) for the middle.
 */
function alignFields(before: readonly HeaderField[], after: readonly HeaderField[]): Int32Array {
  const match = new Int32Array(before.length).fill(-1);
  let lo = 0;
  while (lo < before.length && lo < after.length && same(before[lo]!, after[lo]!)) match[lo] = lo++;
  let hb = before.length;
  let ha = after.length;
  while (hb > lo && ha > lo && same(before[hb - 1]!, after[ha - 1]!)) match[--hb] = --ha;
  const n = hb - lo;
  const m = ha - lo;
  if (n === 0 || m === 0) return match;
  if ((n + 1) * (m + 1) > MAX_ALIGN_CELLS) {
    greedy(before, after, lo, hb, lo, ha, match);
    return match;
  }
  const w = m + 1;
  const dp = new Uint32Array((n + 1) * w);
  for (let i = 1; i <= n; i++) {
    const b = before[lo + i - 1]!;
    const bk = key(b.name);
    for (let j = 1; j <= m; j++) {
      const a = after[lo + j - 1]!;
      let best = Math.max(dp[(i - 1) * w + j]!, dp[i * w + j - 1]!);
      if (key(a.name) === bk) best = Math.max(best, dp[(i - 1) * w + j - 1]! + (a.value === b.value ? 3 : 2));
      dp[i * w + j] = best;
    }
  }
  for (let i = n, j = m; i > 0 && j > 0;) {
    const here = dp[i * w + j]!;
    if (here === dp[(i - 1) * w + j]) i--;
    else if (here === dp[i * w + j - 1]) j--;
    else {
      match[lo + i - 1] = lo + j - 1;
      i--;
      j--;
    }
  }
  return match;
}

function greedy(
  before: readonly HeaderField[],
  after: readonly HeaderField[],
  b0: number,
  b1: number,
  a0: number,
  a1: number,
  match: Int32Array,
): void {
  let cursor = b0;
  for (let j = a0; j < a1 && cursor < b1; j++) {
    const k = key(after[j]!.name);
    for (let i = cursor; i < b1; i++) {
      if (key(before[i]!.name) !== k) continue;
      match[i] = j;
      cursor = i + 1;
      break;
    }
  }
}
