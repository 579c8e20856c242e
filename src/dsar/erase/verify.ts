import { readFile } from 'node:fs/promises';
import { verifyEvidence, type EvidenceEntry, type EvidenceVerification } from '../../core/evidence-chain.js';
import { MailcomplyError } from '../../core/errors.js';
import { compileIdentity, type DataSubject } from '../identity.js';
import { runFind, type FindOptions } from '../search/run.js';
import type { Match, MatchLocation, SourceSpec } from '../types.js';
import { subjectDigests } from './apply.js';

/** What `dsar verify` found. */
export interface VerifyResult {
  /** The receipt's hash chain. */
  chain: EvidenceVerification;
  /** Whether the receipt is about the subject given (by address digest). */
  subjectMatches: boolean;
  /** Items the receipt records as erased or pseudonymised. */
  recorded: number;
  /** Items with an intent entry but no outcome (the run was killed): the new search decides. */
  unfinished: number;
  /** Sources searched again. */
  sources: SourceSpec[];
  /** Matches that a legal hold in the receipt explains. */
  held: Match[];
  /** Matches that should not be there: the subject is still found. */
  remaining: Match[];
  /** Sources or items that could not be searched. */
  problems: number;
  /** True when the chain holds, the subject is the receipt's, and nothing but held items remain. */
  ok: boolean;
}

interface Parsed {
  sources: SourceSpec[];
  held: MatchLocation[];
  recorded: number;
  digests: string[][];
  intents: Set<string>;
  outcomes: Set<string>;
}

async function parseReceipt(path: string): Promise<Parsed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MailcomplyError(
      'E_IO',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  }
  const out: Parsed = {
    sources: [],
    held: [],
    recorded: 0,
    digests: [],
    intents: new Set(),
    outcomes: new Set(),
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: EvidenceEntry;
    try {
      e = JSON.parse(line) as EvidenceEntry;
    } catch {
      continue; // the chain check reports the broken line
    }
    const r = e.record as Record<string, unknown> | null;
    if (!r || typeof r !== 'object') continue;
    if (r.action === 'dsar.erase' && r.phase === 'start') {
      out.sources.push(...((r.sources as SourceSpec[]) ?? []));
      const s = r.subject as { addressSha256?: string[] } | undefined;
      out.digests.push(s?.addressSha256 ?? []);
    } else if (r.action === 'dsar.erase.held') out.held.push(r.location as MatchLocation);
    else if (r.action === 'dsar.erase.intent')
      for (const l of (r.locations as MatchLocation[]) ?? []) out.intents.add(JSON.stringify(l));
    else if (r.action === 'dsar.erase.item') {
      out.outcomes.add(JSON.stringify(r.location));
      if (r.result === 'erased' || r.result === 'pseudonymised') out.recorded++;
    }
  }
  return out;
}

function sameItem(a: MatchLocation, b: MatchLocation): boolean {
  return (
    a.type === b.type &&
    a.sha256 === b.sha256 &&
    ('path' in a ? a.path : a.url) === ('path' in b ? b.path : b.url)
  );
}

/**
 * Checks a receipt and proves its effect: the hash chain must hold, and a fresh search of the same
 * sources must find the subject nowhere except in items the receipt lists as held.
 */
export async function verifyErase(
  receipt: string,
  subject: DataSubject,
  opts: { receiptKey?: Buffer } & Pick<FindOptions, 'threads' | 'workersAfter'> = {},
): Promise<VerifyResult> {
  const chain = await verifyEvidence(receipt, opts.receiptKey ? { key: opts.receiptKey } : {});
  const parsed = await parseReceipt(receipt);
  const want = subjectDigests(subject).sort().join(',');
  const subjectMatches = parsed.digests.some((d) => [...d].sort().join(',') === want);
  const seen = new Set<string>();
  const sources = parsed.sources.filter((s) => {
    const k = JSON.stringify(s);
    return seen.has(k) ? false : (seen.add(k), true);
  });
  const found = await runFind(
    sources,
    compileIdentity(subject),
    opts.threads ? { threads: opts.threads } : {},
  );
  const held: Match[] = [];
  const remaining: Match[] = [];
  for (const m of found.matches)
    (parsed.held.some((h) => sameItem(h, m.location)) ? held : remaining).push(m);
  return {
    chain,
    subjectMatches,
    recorded: parsed.recorded,
    unfinished: [...parsed.intents].filter((k) => !parsed.outcomes.has(k)).length,
    sources,
    held,
    remaining,
    problems: found.problems.length,
    ok: chain.ok && subjectMatches && remaining.length === 0,
  };
}
