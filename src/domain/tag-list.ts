/**
 * What the `tag=value;` record checks (DMARC, DKIM, MTA-STS, TLS-RPT) share: the tag-list parser
 * (RFC 6376 §3.2, which RFC 7489, 8461 and 8460 reuse in spirit), a DNS lookup that turns resolver
 * failures into data, compact evidence of an answer, and TXT records in zone-file form.
 */
import { describeError } from '../core/errors.js';
import type { DnsRecord, DnsResult, RRType } from '../dns/types.js';
import type { DomainContext } from './types.js';

/** One `name=value` pair, in record order. */
export interface TagSpec {
  name: string;
  value: string;
}

/** Something in a tag-list that a strict parser would reject. */
export interface TagProblem {
  kind: 'missing-equals' | 'bad-name' | 'duplicate' | 'empty';
  /** The offending segment (trimmed), or the tag name for duplicates. */
  segment: string;
}

/** A parsed tag-list: every tag in order, the first value of each name, and what was wrong. */
export interface TagList {
  tags: TagSpec[];
  map: Map<string, string>;
  problems: TagProblem[];
}

export interface TagListOptions {
  /** Fold tag names to lower case (DMARC and TLS-RPT names are case-insensitive ABNF literals). */
  lowerCaseNames?: boolean;
  /** Tag-name grammar; RFC 6376's by default. MTA-STS and TLS-RPT extension names also allow `-` and `.`. */
  namePattern?: RegExp;
}

// RFC 6376 FWS/WSP, without the obsolete forms: space, tab and line breaks.
const FWS = /^[ \t\r\n]+|[ \t\r\n]+$/g;
// RFC 6376 §3.2: tag-name = ALPHA *ALNUMPUNC, ALNUMPUNC = ALPHA / DIGIT / "_".
const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function trimFws(s: string): string {
  return s.replace(FWS, '');
}

/** Parses `a=1; b=2;` leniently: never throws, keeps the first of duplicate tags and lists problems. */
export function parseTagList(text: string, options: TagListOptions = {}): TagList {
  const tags: TagSpec[] = [];
  const map = new Map<string, string>();
  const problems: TagProblem[] = [];
  const segments = text.split(';');
  segments.forEach((raw, i) => {
    const segment = trimFws(raw);
    if (segment === '') {
      // A single trailing ";" is allowed by the grammar; an empty segment elsewhere is not.
      if (i !== segments.length - 1 || segments.length === 1) problems.push({ kind: 'empty', segment });
      return;
    }
    const eq = segment.indexOf('=');
    if (eq < 0) {
      problems.push({ kind: 'missing-equals', segment });
      return;
    }
    let name = trimFws(segment.slice(0, eq));
    const value = trimFws(segment.slice(eq + 1));
    if (!(options.namePattern ?? TAG_NAME).test(name)) {
      problems.push({ kind: 'bad-name', segment });
      return;
    }
    if (options.lowerCaseNames) name = name.toLowerCase();
    if (map.has(name)) {
      problems.push({ kind: 'duplicate', segment: name });
      return;
    }
    tags.push({ name, value });
    map.set(name, value);
  });
  return { tags, map, problems };
}

/** Human wording of a tag-list problem, for finding details. */
export function describeTagProblem(p: TagProblem): string {
  switch (p.kind) {
    case 'missing-equals':
      return `"${p.segment}" is not of the form tag=value`;
    case 'bad-name':
      return `"${p.segment}" has an invalid tag name`;
    case 'duplicate':
      return `tag "${p.segment}" appears more than once`;
    case 'empty':
      return 'empty segment between semicolons';
  }
}

/** A query that either produced an answer (NOERROR or NXDOMAIN) or could not be completed, and why. */
export type LookupOutcome<T extends RRType> =
  { ok: true; result: DnsResult<T> } | { ok: false; name: string; type: T; reason: string; rcode?: string };

/**
 * Queries through the context's resolver, turning thrown DnsErrors and SERVFAIL/REFUSED-style rcodes
 * into a failed outcome so that no caller can mistake a broken lookup for an absent record.
 */
export async function dnsLookup<T extends RRType>(
  ctx: Pick<DomainContext, 'resolver' | 'signal'>,
  name: string,
  type: T,
): Promise<LookupOutcome<T>> {
  let result: DnsResult<T>;
  try {
    result = await ctx.resolver.query(name, type, { signal: ctx.signal });
  } catch (err) {
    return { ok: false, name, type, reason: describeError(err) };
  }
  if (result.rcode !== 'NOERROR' && result.rcode !== 'NXDOMAIN') {
    return { ok: false, name, type, reason: `resolver answered ${result.rcode}`, rcode: result.rcode };
  }
  return { ok: true, result };
}

/** Presentation form of one record's data, as a zone file would show it. */
export function recordText(r: DnsRecord): string {
  const d = r.data as unknown;
  switch (r.type) {
    case 'MX': {
      const mx = d as { preference: number; exchange: string };
      return `${mx.preference} ${absolute(mx.exchange)}`;
    }
    case 'TXT':
    case 'SPF':
      return (d as { text: string }).text;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return absolute(String(d));
    default:
      return typeof d === 'string' ? d : JSON.stringify(d);
  }
}

/** Reproducible evidence of one lookup: what was asked and what came back, AD bit included. */
export function lookupEvidence(o: LookupOutcome<RRType>): Record<string, unknown> {
  if (!o.ok) return { name: o.name, type: o.type, error: o.reason };
  const r = o.result;
  const ev: Record<string, unknown> = {
    name: r.name,
    type: r.type,
    rcode: r.rcode,
    ad: r.ad,
    answers: r.answers.map(recordText),
  };
  if (r.cnames.length > 0) ev.cnames = r.cnames.map((c) => `${c.name} CNAME ${absolute(c.data)}`);
  return ev;
}

/** The TXT strings of an answer, joined per record (RFC 7208 §3.3 style). */
export function txtTexts(result: DnsResult<'TXT'>): string[] {
  return result.answers.map((r) => r.data.text);
}

/** `name` with exactly one trailing dot; the root stays `.`. */
export function absolute(name: string): string {
  const n = name.replace(/\.+$/, '');
  return n === '' ? '.' : `${n}.`;
}

// RFC 1035 §3.3.14: one character-string holds at most 255 octets.
const TXT_CHUNK = 255;

/** A TXT record in zone-file form, split into 255-octet strings and escaped, ready to paste. */
export function zoneTxt(name: string, text: string, ttl = 3600): string {
  // Split on code points so a multi-byte character never straddles two strings.
  const chunks: string[] = [''];
  let size = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (size + n > TXT_CHUNK) {
      chunks.push('');
      size = 0;
    }
    chunks[chunks.length - 1] += ch;
    size += n;
  }
  const quoted = chunks.map((c) => `"${c.replace(/["\\]/g, '\\$&')}"`).join(' ');
  return `${absolute(name)} ${ttl} IN TXT ${quoted}`;
}

/** The TTL to suggest in a remediation: the one already published, or an hour. */
export function suggestedTtl(o: LookupOutcome<RRType> | undefined): number {
  if (o?.ok) {
    const first = o.result.answers[0];
    if (first && first.ttl > 0) return first.ttl;
  }
  return 3600;
}
