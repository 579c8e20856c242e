import type { Finding } from '../../core/finding.js';
import { BOUNCE_MAX_MATCHES } from '../../core/limits.js';
import { finding } from '../../core/make-finding.js';
import { extractIps, INTERNAL_SUFFIXES, normaliseZones, parseIp } from '../internal.js';
import { clauseHosts, clauseText, receivedClauses } from '../received.js';
import type { Dissected } from './classify.js';
import { header, headers } from './headers.js';
import { excerpt, extractAddresses, redact, type RedactOptions } from './redact.js';
import { REMEDIATION } from './remediation.js';
import { findSoftware } from './software.js';

/** Options for the disclosure checks. */
export interface DisclosureOptions extends RedactOptions {
  internalZones: string[];
}

/** A piece of text from the bounce and where it came from, for evidence. */
interface Source {
  where: string;
  text: string;
  /** Received values get host-clause parsing, free text only suffix and IP matching. */
  received?: boolean;
}

interface InternalHit {
  where: string;
  value: string;
  kind: string;
  excerpt: string;
}

// The lookahead makes the suffix the last label: "relay.corp.example.org" is not under ".corp".
const NAME_END = '(?![\\w-]|\\.[A-Za-z0-9])';
const INTERNAL_NAME = new RegExp(
  `\\b((?:[a-z0-9_-]+\\.)+(?:local|lan|internal|corp|home\\.arpa|localdomain|intranet|intra))${NAME_END}`,
  'gi',
);
const POSTFIX_HOST = /\bhost ([A-Za-z0-9_.-]+)\[/g;
// Words MTAs put where a host name goes when they have none.
const NOT_HOSTS = new Set(['unknown', 'unverified', 'nodnsquery', 'mta', 'may-be-forged', 'softdnserr']);
const ROLE_LOCAL =
  /^(?:postmaster|mailer-daemon|abuse|hostmaster|webmaster|noreply|no-reply|do-not-reply|bounce[s]?)$/i;

/** The disclosure findings for a DSN or non-standard bounce. */
export function bounceDisclosures(d: Dissected, o: DisclosureOptions): Finding[] {
  const sources = collectSources(d);
  return [internalHosts(sources, o), software(sources, d, o), fullOriginal(d), otherRecipients(d, o)].filter(
    (f): f is Finding => f !== undefined,
  );
}

function collectSources(d: Dissected): Source[] {
  const s: Source[] = [];
  if (d.dsn) {
    if (d.dsn.reportingMta) s.push({ where: 'Reporting-MTA', text: d.dsn.reportingMta });
    if (d.dsn.receivedFromMta) s.push({ where: 'Received-From-MTA', text: d.dsn.receivedFromMta });
    for (const r of d.dsn.recipients) {
      if (r.remoteMta) s.push({ where: 'Remote-MTA', text: r.remoteMta });
      if (r.diagnosticCode) s.push({ where: 'Diagnostic-Code', text: r.diagnosticCode });
    }
  }
  if (d.notice.trim()) s.push({ where: 'notification text', text: d.notice });
  const returned = d.returned?.headers ?? [];
  headers(returned, 'received').forEach((v, i) =>
    s.push({ where: `returned Received #${i + 1}`, text: v, received: true }),
  );
  for (const h of ['x-originating-ip', 'x-forwarded-for', 'x-client-ip', 'x-real-ip']) {
    for (const v of headers(returned, h)) s.push({ where: `returned ${h}`, text: v });
  }
  return s;
}

function internalHosts(sources: Source[], o: DisclosureOptions): Finding {
  const zones = normaliseZones(o.internalZones);
  const hits: InternalHit[] = [];
  const seen = new Set<string>();
  const add = (src: Source, value: string, kind: string, at: number): void => {
    const key = `${src.where}|${value.toLowerCase()}`;
    if (seen.has(key) || hits.length >= BOUNCE_MAX_MATCHES) return;
    seen.add(key);
    hits.push({ where: src.where, value, kind, excerpt: excerpt(src.text, at, at + value.length, o) });
  };
  for (const src of sources) {
    for (const ip of extractIps(src.text)) {
      const parsed = parseIp(ip);
      const range = parsed?.range();
      if (range && ['private', 'carrierGradeNat', 'loopback', 'linkLocal', 'uniqueLocal'].includes(range)) {
        add(src, ip, range, src.text.indexOf(ip));
      }
    }
    const names = new Set<string>();
    if (src.received) {
      const c = receivedClauses(src.text);
      for (const h of [
        ...clauseHosts(clauseText(src.text, c.from)),
        ...clauseHosts(clauseText(src.text, c.by)),
      ])
        names.add(h);
    } else if (/^(?:Reporting|Remote|Received-From)-MTA$/.test(src.where)) {
      const first = /^\s*([A-Za-z0-9_.-]+)/.exec(src.text);
      if (first?.[1]) names.add(first[1]);
    }
    for (const m of src.text.matchAll(INTERNAL_NAME)) names.add(m[1] as string);
    for (const m of src.text.matchAll(POSTFIX_HOST)) names.add(m[1] as string);
    for (const z of o.internalZones) {
      const re = new RegExp(`\\b((?:[a-z0-9_-]+\\.)+${z.replace(/\./g, '\\.')})${NAME_END}`, 'gi');
      for (const m of src.text.matchAll(re)) names.add(m[1] as string);
    }
    for (const n of names) {
      if (NOT_HOSTS.has(n.toLowerCase())) continue;
      // "(Postfix)" and similar comments name software, not a host.
      if (src.received && !n.includes('.') && src.text.includes(`(${n})`)) continue;
      if (isInternalName(n, zones)) {
        const kind = /^localhost(?:\.localdomain)?$/i.test(n) ? 'loopback name' : 'internal name';
        add(src, n, kind, Math.max(0, src.text.indexOf(n)));
      }
    }
  }
  if (hits.length === 0) {
    return finding({
      id: 'bounces.internal-host',
      status: 'pass',
      title: 'Bounce shows no internal host names or addresses',
      detail:
        'No private, loopback or link-local address and no internal host name was found in the report fields, the notification text or the returned Received lines.',
      controls: ['minimisation.bounces'],
    });
  }
  const onlyLoopback = hits.every((h) => h.kind === 'loopback' || h.kind === 'loopback name');
  return finding({
    id: 'bounces.internal-host',
    status: 'warn',
    severity: onlyLoopback ? 'low' : 'medium',
    title: onlyLoopback
      ? 'Bounce shows loopback hops of the mail system (content filters)'
      : 'Bounce discloses internal host names or addresses',
    detail: `Found ${hits.length} internal name(s) or address(es) in ${[...new Set(hits.map((h) => h.where.replace(/ #\d+$/, '')))].join(', ')}: ${[...new Set(hits.map((h) => h.value))].slice(0, 6).join(', ')}. They map the inside of the mail system for anyone who provokes a bounce.`,
    evidence: { matches: hits },
    controls: ['minimisation.bounces', 'minimisation.smtp-disclosure'],
    remediation: REMEDIATION.internalHost,
  });
}

/**
 * Same rules as isInternalHost in ../internal.ts, without its IP-literal parse: names reaching here
 * come from host positions, and that parse dominated the run time on large mailboxes.
 */
function isInternalName(name: string, zones: readonly string[]): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(n) || /^[\d.]+$/.test(n)) return false;
  if (!n.includes('.')) return true;
  return [...INTERNAL_SUFFIXES, ...zones].some((s) => n === s || n.endsWith(`.${s}`));
}

function software(sources: Source[], d: Dissected, o: DisclosureOptions): Finding {
  const all: Source[] = [...sources];
  for (const h of ['x-mailer', 'x-mimeole']) {
    const v = header(d.top, h);
    if (v) all.push({ where: h, text: v });
  }
  if (d.dsn) {
    for (const f of d.dsn.fields) all.push({ where: `DSN ${f.name}`, text: f.value });
  }
  const hits: { where: string; product: string; version?: string; excerpt: string }[] = [];
  const seen = new Set<string>();
  for (const src of all) {
    for (const m of findSoftware(src.text)) {
      const key = `${m.product}|${m.version ?? ''}|${src.where.replace(/ #\d+$/, '')}`;
      if (seen.has(key) || hits.length >= BOUNCE_MAX_MATCHES) continue;
      seen.add(key);
      const hit: (typeof hits)[number] = {
        where: src.where,
        product: m.product,
        excerpt: excerpt(src.text, m.start, m.end, o),
      };
      if (m.version) hit.version = m.version;
      hits.push(hit);
    }
  }
  if (hits.length === 0) {
    return finding({
      id: 'bounces.mta-software',
      status: 'pass',
      title: 'Bounce names no mail server software',
      detail:
        'No MTA product name or version was found in the notification, its report fields or the returned Received lines.',
      controls: ['minimisation.smtp-disclosure', 'minimisation.bounces'],
    });
  }
  const versions = hits.filter((h) => h.version);
  const list = [...new Set(hits.map((h) => (h.version ? `${h.product} ${h.version}` : h.product)))];
  return finding({
    id: 'bounces.mta-software',
    status: versions.length > 0 ? 'warn' : 'info',
    severity: versions.length > 0 ? 'low' : 'info',
    title:
      versions.length > 0
        ? 'Bounce discloses mail server software and versions'
        : 'Bounce names the mail server software',
    detail: `The bounce names ${list.slice(0, 6).join(', ')}. ${versions.length > 0 ? 'Exact versions tell an attacker which known vulnerabilities to try.' : 'Product names alone help an attacker choose a target.'}`,
    evidence: { matches: hits },
    controls: ['minimisation.smtp-disclosure', 'minimisation.bounces'],
    remediation: REMEDIATION.software,
  });
}

function fullOriginal(d: Dissected): Finding {
  const r = d.returned;
  if (!r || r.form === 'headers') {
    return finding({
      id: 'bounces.full-original',
      status: 'pass',
      title: r
        ? 'Bounce returns only the header of the original message'
        : 'Bounce does not return the original message',
      detail: r
        ? `The original came back as ${r.where} without its body.`
        : 'No copy of the original message was found in the bounce.',
      evidence: r ? { where: r.where, headerFields: r.headers.length } : null,
      controls: ['minimisation.bounces'],
    });
  }
  return finding({
    id: 'bounces.full-original',
    status: 'fail',
    severity: 'medium',
    title: 'Bounce returns the full original message, body included',
    detail: `The original message came back with ${r.bodyBytes} bytes of body (${r.where}). Whoever receives the bounce (a forged sender, a mailing-list owner) gets the whole content, attachments included; the header alone is enough to identify the message.`,
    evidence: { where: r.where, bodyBytes: r.bodyBytes, headerFields: r.headers.length },
    controls: ['minimisation.bounces'],
    remediation: REMEDIATION.fullOriginal,
  });
}

function otherRecipients(d: Dissected, o: DisclosureOptions): Finding | undefined {
  const known = new Set<string>();
  const learn = (v: string | undefined): void => {
    for (const a of extractAddresses(v ?? '')) known.add(a);
  };
  const ret = d.returned?.headers ?? [];
  for (const h of ['to', 'cc', 'from', 'sender', 'reply-to', 'resent-to', 'resent-cc']) {
    for (const v of headers(ret, h)) learn(v);
  }
  for (const h of ['to', 'from', 'cc']) learn(header(d.top, h));
  const expansions: { original: string; final: string }[] = [];
  for (const r of d.dsn?.recipients ?? []) {
    learn(r.originalRecipient);
    const orig = extractAddresses(r.originalRecipient ?? '')[0];
    const fin = extractAddresses(r.finalRecipient ?? '')[0];
    if (orig && fin && orig !== fin) expansions.push({ original: orig, final: fin });
  }
  // Without the original's recipients or Original-Recipient there is nothing to compare against.
  if (ret.length === 0 && !(d.dsn?.recipients ?? []).some((r) => r.originalRecipient)) return undefined;
  const candidates = new Set<string>();
  for (const r of d.dsn?.recipients ?? [])
    for (const a of extractAddresses(r.finalRecipient ?? '')) candidates.add(a);
  for (const r of d.dsn?.recipients ?? [])
    for (const a of extractAddresses(r.diagnosticCode ?? '')) candidates.add(a);
  for (const a of extractAddresses(header(d.top, 'x-failed-recipients') ?? '')) candidates.add(a);
  for (const a of extractAddresses(d.notice)) candidates.add(a);
  const disclosed = [...candidates].filter((a) => !known.has(a) && !ROLE_LOCAL.test(a.split('@')[0] ?? ''));
  if (disclosed.length === 0 && expansions.length === 0) {
    return finding({
      id: 'bounces.other-recipients',
      status: 'pass',
      title: 'Bounce names only addresses the sender already knew',
      detail:
        'Every address in the report and its text also appears in the returned original or as the original recipient.',
      controls: ['minimisation.bounces'],
    });
  }
  const show = (a: string): string => redact(a, o);
  return finding({
    id: 'bounces.other-recipients',
    status: 'warn',
    severity: 'medium',
    title: 'Bounce discloses addresses the sender did not write to',
    detail: `The bounce names ${disclosed.length} address(es) that are not among the original\u2019s recipients${expansions.length ? `, and ${expansions.length} alias or forwarding expansion(s) (Original-Recipient differs from Final-Recipient)` : ''}: mailbox addresses behind aliases, lists or forwards are personal data.`,
    evidence: {
      addresses: disclosed.slice(0, BOUNCE_MAX_MATCHES).map(show),
      expansions: expansions
        .slice(0, BOUNCE_MAX_MATCHES)
        .map((e) => ({ original: show(e.original), final: show(e.final) })),
    },
    controls: ['minimisation.bounces'],
    remediation: REMEDIATION.otherRecipients,
  });
}
