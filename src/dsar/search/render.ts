import { HTML_STYLE } from '../../report/html-style.js';
import type { Hit, Match, MatchLocation } from '../types.js';
import type { FindResult } from './run.js';

/** Where an item lives, in one line. */
export function locationText(l: MatchLocation): string {
  switch (l.type) {
    case 'maildir':
      return `${l.path} ${l.folder || 'INBOX'}/${l.sub}/${l.file}`;
    case 'mbox':
      return `${l.path} bytes ${l.start}-${l.end}`;
    case 'eml-dir':
      return `${l.path} ${l.file}`;
    case 'imap':
      return `${l.url} ${l.folder} UIDVALIDITY ${l.uidValidity} UID ${l.uid}`;
    case 'log':
      return `${l.path}:${l.line}`;
  }
}

/** Why an item matched, in one line: `address #1 in From; body part 1.2 (base64)`. */
export function hitText(h: Hit, subject: FindResult['subject']): string {
  const who =
    h.by === 'address'
      ? `address ${subject.addresses[h.index] ?? h.index}`
      : `name "${subject.names[h.index] ?? h.index}"`;
  const p = h.place;
  const where =
    p.where === 'header'
      ? `header ${p.field}`
      : p.where === 'body'
        ? `body part ${p.part} (${p.encoding})`
        : p.where === 'attachment-name'
          ? `attachment name, part ${p.part}`
          : `log field ${p.field}`;
  return `${who} in ${where}`;
}

function countsLine(r: FindResult): string {
  const parts = Object.entries(r.countsByKind).map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** Plain-text report of a search. */
export function renderFindText(r: FindResult): string {
  const out: string[] = [];
  out.push(`Data subject: ${[...r.subject.addresses, ...r.subject.names.map((n) => `"${n}"`)].join(', ')}`);
  out.push(
    `Searched ${r.sources.reduce((a, s) => a + s.items, 0)} items in ${r.sources.length} sources; ${r.matches.length} matched (${countsLine(r)}).`,
  );
  out.push('');
  out.push('Sources:');
  for (const s of r.sources)
    out.push(
      `  [${s.source.kind}] ${s.label}: ${s.items} items, ${s.matches} matched${s.problems ? `, ${s.problems} problems` : ''}`,
    );
  if (r.matches.length) {
    out.push('', 'Matches:');
    for (const m of r.matches) {
      out.push(`  [${m.location.kind}] ${locationText(m.location)}`);
      if (m.subject !== undefined) out.push(`      subject: ${m.subject}`);
      for (const h of m.hits) out.push(`      - ${hitText(h, r.subject)}`);
    }
  }
  if (r.problems.length) {
    out.push('', 'Not searched (reported, the run went on):');
    for (const p of r.problems)
      out.push(`  ${p.source.type}:${p.source.path ?? p.source.url ?? ''} ${p.item}: ${p.reason}`);
  }
  return `${out.join('\n')}\n`;
}

/** JSON report of a search (stable shape: the erase and verify steps read it). */
export function renderFindJson(r: FindResult): string {
  return `${JSON.stringify({ kind: 'mailcomply.dsar.find', version: 1, ...r }, null, 2)}\n`;
}

/** Escapes text for HTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function matchRow(m: Match, r: FindResult): string {
  return `<tr><td>${esc(m.location.kind)}</td><td><code>${esc(locationText(m.location))}</code></td><td>${esc(m.subject ?? m.messageId ?? '')}</td><td>${m.hits.map((h) => esc(hitText(h, r.subject))).join('<br>')}</td></tr>`;
}

/** HTML report of a search. */
export function renderFindHtml(r: FindResult): string {
  const sources = r.sources
    .map(
      (s) =>
        `<tr><td>${esc(s.source.kind)}</td><td><code>${esc(s.label)}</code></td><td>${s.items}</td><td>${s.matches}</td><td>${s.problems}</td></tr>`,
    )
    .join('');
  const problems = r.problems
    .map(
      (p) =>
        `<tr><td><code>${esc(`${p.source.type}:${p.source.path ?? p.source.url ?? ''}`)}</code></td><td>${esc(p.item)}</td><td>${esc(p.reason)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Data subject search</title><style>${HTML_STYLE}</style></head><body>
<h1>Data subject search</h1>
<p>Subject: ${esc([...r.subject.addresses, ...r.subject.names].join(', '))}. ${r.matches.length} matching items (${esc(countsLine(r))}). Run ${esc(r.startedAt)} – ${esc(r.finishedAt)}.</p>
<h2>Sources</h2><table><thead><tr><th>Kind</th><th>Source</th><th>Items</th><th>Matched</th><th>Problems</th></tr></thead><tbody>${sources}</tbody></table>
<h2>Matches</h2><table><thead><tr><th>Kind</th><th>Location</th><th>Subject / id</th><th>Why</th></tr></thead><tbody>${r.matches.map((m) => matchRow(m, r)).join('')}</tbody></table>
${problems ? `<h2>Not searched</h2><table><thead><tr><th>Source</th><th>Item</th><th>Reason</th></tr></thead><tbody>${problems}</tbody></table>` : ''}
</body></html>
`;
}
