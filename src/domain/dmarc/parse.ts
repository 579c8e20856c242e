/**
 * DMARC record parser (RFC 7489 §6.3–6.4, plus the tags DMARCbis adds). Lenient: it never throws,
 * keeps whatever it could read, and lists every deviation so the check can judge it.
 */
import { describeTagProblem, parseTagList, type TagSpec } from '../tag-list.js';
import { parseReportUriList, type ReportUri } from './uri.js';

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

/** Ordered weakest to strongest, for comparing `sp` with `p`. */
export const POLICY_STRENGTH: Record<DmarcPolicy, number> = { none: 0, quarantine: 1, reject: 2 };

export type DmarcProblemKind =
  | 'syntax'
  | 'missing-version'
  | 'version-not-first'
  | 'bad-version'
  | 'missing-policy'
  | 'bad-value'
  | 'unknown-tag';

/** One deviation from the grammar, with the tag it concerns. */
export interface DmarcProblem {
  kind: DmarcProblemKind;
  tag?: string;
  message: string;
}

/** What a DMARC record says, defaults applied (RFC 7489 §6.3). */
export interface DmarcRecord {
  text: string;
  tags: TagSpec[];
  /** Valid published values only; absent when missing or invalid. */
  p?: DmarcPolicy;
  sp?: DmarcPolicy;
  /** DMARCbis policy for non-existent subdomains. */
  np?: DmarcPolicy;
  /**
   * The policy a receiver applies to the domain itself: `p`, or `none` when `p` (or `sp`) is missing or
   * invalid but a valid `rua` exists (§6.6.3), or `null` when the record triggers no DMARC processing.
   */
  policy: DmarcPolicy | null;
  /** The policy applied to subdomains: `sp`, else `p`; same fallback rules. */
  subdomainPolicy: DmarcPolicy | null;
  pct: number;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  fo: string[];
  rf: string[];
  ri: number;
  rua: ReportUri[];
  ruf: ReportUri[];
  unknownTags: string[];
  problems: DmarcProblem[];
}

const KNOWN_TAGS = new Set([
  'v',
  'p',
  'sp',
  'np',
  'pct',
  'adkim',
  'aspf',
  'fo',
  'rf',
  'ri',
  'rua',
  'ruf',
  'psd',
  't',
]);
const POLICIES = new Set<string>(['none', 'quarantine', 'reject']);
const FO_VALUES = new Set(['0', '1', 'd', 's']);

/** True when a TXT string is a DMARC record candidate: it starts with `v=DMARC1` (RFC 7489 §6.6.3). */
export function isDmarcRecord(text: string): boolean {
  return /^[ \t]*v[ \t]*=[ \t]*DMARC1[ \t]*(;|$)/i.test(text);
}

/** True when the text carries a `v=DMARC1` tag somewhere other than first, which receivers discard. */
export function hasMisplacedVersion(text: string): boolean {
  return !isDmarcRecord(text) && /(^|;)[ \t]*v[ \t]*=[ \t]*DMARC1[ \t]*(;|$)/i.test(text);
}

/** Parses a DMARC record; never throws, whatever the input. */
export function parseDmarc(text: string): DmarcRecord {
  const list = parseTagList(text, { lowerCaseNames: true });
  const problems: DmarcProblem[] = list.problems.map((p) => ({
    kind: 'syntax' as const,
    message: describeTagProblem(p),
    ...(p.kind === 'duplicate' ? { tag: p.segment } : {}),
  }));
  const rec: DmarcRecord = {
    text,
    tags: list.tags,
    policy: null,
    subdomainPolicy: null,
    pct: 100,
    adkim: 'r',
    aspf: 'r',
    fo: ['0'],
    rf: ['afrf'],
    ri: 86400,
    rua: [],
    ruf: [],
    unknownTags: [],
    problems,
  };
  const bad = (tag: string, message: string): void => {
    problems.push({ kind: 'bad-value', tag, message });
  };

  const v = list.map.get('v');
  if (v === undefined)
    problems.push({ kind: 'missing-version', tag: 'v', message: 'the record has no v=DMARC1 tag' });
  else if (!/^[ \t\r\n]*v[ \t\r\n]*=/i.test(text)) {
    problems.push({ kind: 'version-not-first', tag: 'v', message: 'v=DMARC1 must be the first tag' });
  }
  if (v !== undefined && v !== 'DMARC1') {
    problems.push({ kind: 'bad-version', tag: 'v', message: `v must be exactly "DMARC1", not "${v}"` });
  }

  const policyTag = (tag: 'p' | 'sp' | 'np'): DmarcPolicy | undefined => {
    const raw = list.map.get(tag);
    if (raw === undefined) return undefined;
    const val = raw.toLowerCase();
    if (POLICIES.has(val)) return val as DmarcPolicy;
    bad(tag, `${tag}=${raw} is not none, quarantine or reject`);
    return undefined;
  };
  rec.p = policyTag('p');
  rec.sp = policyTag('sp');
  rec.np = policyTag('np');
  if (!list.map.has('p'))
    problems.push({ kind: 'missing-policy', tag: 'p', message: 'the required p= tag is missing' });

  const pct = list.map.get('pct');
  if (pct !== undefined) {
    if (/^[0-9]{1,3}$/.test(pct) && Number(pct) <= 100) rec.pct = Number(pct);
    else bad('pct', `pct=${pct} is not an integer from 0 to 100`);
  }
  for (const tag of ['adkim', 'aspf'] as const) {
    const raw = list.map.get(tag);
    if (raw === undefined) continue;
    const val = raw.toLowerCase();
    if (val === 'r' || val === 's') rec[tag] = val;
    else bad(tag, `${tag}=${raw} is not r or s`);
  }
  const fo = list.map.get('fo');
  if (fo !== undefined) {
    const opts = fo.split(':').map((o) => o.trim().toLowerCase());
    const wrong = opts.filter((o) => !FO_VALUES.has(o));
    if (wrong.length > 0) bad('fo', `fo=${fo} has options other than 0, 1, d and s`);
    const good = opts.filter((o) => FO_VALUES.has(o));
    if (good.length > 0) rec.fo = good;
  }
  const rf = list.map.get('rf');
  if (rf !== undefined) {
    rec.rf = rf.split(':').map((o) => o.trim().toLowerCase());
    if (rec.rf.some((f) => f !== 'afrf')) bad('rf', `rf=${rf} names a report format other than afrf`);
  }
  const ri = list.map.get('ri');
  if (ri !== undefined) {
    if (/^[0-9]{1,10}$/.test(ri) && Number(ri) <= 0xffffffff) rec.ri = Number(ri);
    else bad('ri', `ri=${ri} is not a 32-bit unsigned integer`);
  }
  for (const tag of ['rua', 'ruf'] as const) {
    const raw = list.map.get(tag);
    if (raw === undefined) continue;
    rec[tag] = parseReportUriList(raw, true);
    for (const u of rec[tag]) if (u.problem) bad(tag, `${tag} URI "${u.raw}": ${u.problem}`);
  }
  for (const tag of ['psd', 't'] as const) {
    const raw = list.map.get(tag);
    const allowed = tag === 'psd' ? ['y', 'n', 'u'] : ['y', 'n'];
    if (raw !== undefined && !allowed.includes(raw.toLowerCase()))
      bad(tag, `${tag}=${raw} is not one of ${allowed.join(', ')}`);
  }
  rec.unknownTags = list.tags.filter((t) => !KNOWN_TAGS.has(t.name)).map((t) => t.name);
  for (const t of rec.unknownTags)
    problems.push({ kind: 'unknown-tag', tag: t, message: `unknown tag "${t}" (ignored by receivers)` });

  // RFC 7489 §6.6.3: an invalid or missing p, or an invalid sp, degrades to p=none when a valid rua exists.
  const spInvalid = list.map.has('sp') && rec.sp === undefined;
  if (rec.p !== undefined && !spInvalid) {
    rec.policy = rec.p;
    rec.subdomainPolicy = rec.sp ?? rec.p;
  } else if (rec.rua.some((u) => !u.problem)) {
    rec.policy = 'none';
    rec.subdomainPolicy = 'none';
  }
  return rec;
}

/** Problems that make receivers ignore or misread the record (everything but unknown tags). */
export function seriousProblems(rec: DmarcRecord): DmarcProblem[] {
  return rec.problems.filter((p) => p.kind !== 'unknown-tag');
}

/**
 * The record with some tags changed (`undefined` removes a tag), `v=DMARC1` first and the rest in
 * published order; new tags go after `p`/`sp`. Used to write exact remediations.
 */
export function renderDmarc(
  rec: DmarcRecord | undefined,
  changes: Record<string, string | undefined>,
): string {
  const out: [string, string][] = [['v', 'DMARC1']];
  const seen = new Set<string>(['v']);
  for (const t of rec?.tags ?? []) {
    if (seen.has(t.name)) continue;
    seen.add(t.name);
    const value = t.name in changes ? changes[t.name] : t.value;
    if (value !== undefined) out.push([t.name, value]);
  }
  for (const [name, value] of Object.entries(changes)) {
    if (seen.has(name) || value === undefined) continue;
    seen.add(name);
    const after = out.findLastIndex(([n]) => n === 'v' || n === 'p' || n === 'sp');
    out.splice(name === 'p' ? 1 : after + 1, 0, [name, value]);
  }
  return out.map(([n, v]) => `${n}=${v}`).join('; ');
}
