import { HTML_STYLE } from '../../report/html-style.js';
import { esc, locationText } from '../search/render.js';
import type { FindResult } from '../search/run.js';
import type { SourceKind } from '../types.js';

/** Retention declared for a store (from mailcomply.yaml `sources`), keyed by source label. */
export type RetentionBySource = Map<string, string>;

/** What the summary page needs besides the search result. */
export interface SummaryInput {
  result: FindResult;
  retention: RetentionBySource;
  /** The organisation's own domains: not third parties. */
  ownDomains: readonly string[];
  /** File names of the items in the package, by match index. */
  files: string[];
}

const KIND_PURPOSE: Record<SourceKind, string> = {
  mailbox: 'received and stored messages (mailboxes)',
  sent: 'messages sent by staff (sent folders)',
  archive: 'archived messages (archive)',
  quarantine: 'messages held by spam or malware filtering (quarantine)',
  log: 'delivery records in mail server logs',
};

/** The categories of personal data the matches show (Art. 15(1)(b)). */
export function dataCategories(r: FindResult): string[] {
  const cats = new Set<string>();
  for (const m of r.matches)
    for (const h of m.hits) {
      const p = h.place;
      if (p.where === 'header')
        cats.add('Contact data: e-mail address and name in message headers (sender, recipients)');
      else if (p.where === 'body') cats.add('Message content: text of e-mails mentioning the person');
      else if (p.where === 'attachment-name') cats.add('Attachments: files whose names identify the person');
      else cats.add('Communication metadata: delivery times, servers, status from mail logs');
    }
  if (r.matches.some((m) => m.location.type !== 'log'))
    cats.add('Communication metadata: dates, message identifiers and routing headers of each message');
  return [...cats].sort();
}

/** Correspondents' domains (third parties) across all matching messages, most frequent first. */
export function recipientDomains(r: FindResult, own: readonly string[]): [string, number][] {
  const owned = (d: string): boolean => own.some((o) => d === o || d.endsWith(`.${o}`));
  const counts = new Map<string, number>();
  for (const m of r.matches)
    for (const d of m.counterpartDomains ?? []) if (!owned(d)) counts.set(d, (counts.get(d) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** The human-readable page of the Art. 15 package. */
export function renderSummaryHtml(s: SummaryInput): string {
  const r = s.result;
  const li = (xs: string[]): string => xs.map((x) => `<li>${esc(x)}</li>`).join('');
  const sources = r.sources
    .map(
      (src) =>
        `<tr><td>${esc(src.source.kind)}</td><td>${esc(KIND_PURPOSE[src.source.kind])}</td><td><code>${esc(src.label)}</code></td><td>${src.matches}</td><td>${esc(s.retention.get(src.label) ?? 'not declared in mailcomply.yaml')}</td></tr>`,
    )
    .join('');
  const recips = recipientDomains(r, s.ownDomains);
  const items = r.matches
    .map(
      (m, i) =>
        `<tr><td>${esc(m.location.kind)}</td><td><code>${esc(s.files[i] ?? '')}</code></td><td>${esc(m.date ?? '')}</td><td>${esc(m.subject ?? '')}</td><td><code>${esc(locationText(m.location))}</code></td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your data held in our e-mail systems</title><style>${HTML_STYLE}</style></head><body>
<h1>Copy of your personal data in our e-mail systems</h1>
<p>This package answers a request under Article 15 GDPR for ${esc([...r.subject.addresses, ...r.subject.names].join(', '))}. It was produced on ${esc(r.finishedAt)} by searching every configured mail store and mail log. It holds ${r.matches.length} items: each message as an .eml file, log records as JSON lines, and a manifest with the SHA-256 of every item.</p>
<h2>Categories of personal data</h2><ul>${li(dataCategories(r)) || '<li>None found</li>'}</ul>
<h2>Where it is stored and for how long</h2>
<table><thead><tr><th>Kind</th><th>Purpose</th><th>Store</th><th>Items about you</th><th>Retention</th></tr></thead><tbody>${sources}</tbody></table>
<h2>Recipients and correspondents</h2>
<p>Organisations (by e-mail domain) that sent or received the messages about you:</p>
<ul>${recips.map(([d, n]) => `<li>${esc(d)} (${n} message${n === 1 ? '' : 's'})</li>`).join('') || '<li>None outside our own domains</li>'}</ul>
<h2>Items</h2>
<table><thead><tr><th>Kind</th><th>File in this package</th><th>Date</th><th>Subject</th><th>Stored at</th></tr></thead><tbody>${items}</tbody></table>
${r.problems.length ? `<h2>Items that could not be searched</h2><p>${r.problems.length} stored items could not be read; they are listed in report.json and were reviewed separately.</p>` : ''}
<p>You may ask us to correct (Art. 16) or erase (Art. 17) this data, and you may complain to a supervisory authority.</p>
</body></html>
`;
}
