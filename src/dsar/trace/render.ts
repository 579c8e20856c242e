import type { Trace, TraceHop } from './types.js';

function tlsText(h: TraceHop): string {
  return h.tls === true ? 'yes' : h.tls === false ? 'no' : '?';
}

function row(h: TraceHop, i: number): string[] {
  const to = h.nextQueueId ? `${h.to ?? ''} (queued as ${h.nextQueueId})` : (h.to ?? '');
  return [
    String(i + 1),
    h.time ?? '-',
    h.host,
    h.queueId ?? '-',
    h.from ?? '-',
    [to, h.recipient ? `<${h.recipient}>` : ''].filter(Boolean).join(' ') || '-',
    tlsText(h),
    h.status,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((v, c) => v.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const HEAD = ['#', 'time', 'host', 'queue id', 'from', 'to', 'tls', 'status'];

/** A plain-text table of the path, logs first, then the copy's Received chain. */
export function renderTraceText(t: Trace): string {
  const parts = [`Trace of ${t.id}`];
  if (t.messageIds.length) parts.push(`message-id: ${t.messageIds.map((m) => `<${m}>`).join(', ')}`);
  if (t.queueIds.length) parts.push(`queue ids: ${t.queueIds.join(' -> ')}`);
  parts.push('');
  if (t.hops.length) parts.push('From the logs:', table([HEAD, ...t.hops.map(row)]), '');
  else parts.push('The logs hold no line for this message.', '');
  if (t.received.length)
    parts.push('From the Received chain of the copy:', table([HEAD, ...t.received.map(row)]), '');
  if (t.unresolved.length)
    parts.push(`Handed over but not in the given logs: ${t.unresolved.join(', ')} (add that host's log)`, '');
  return parts.join('\n');
}

/** Graph nodes: one per host (and queue id when known), edges per hop. */
function edges(t: Trace): { from: string; to: string; label: string }[] {
  const out: { from: string; to: string; label: string }[] = [];
  const hops = t.hops.length ? t.hops : t.received;
  // An arrival that a hand-off line already links needs no second edge.
  const handedTo = new Set(hops.filter((h) => h.nextQueueId).map((h) => h.nextQueueId));
  for (const h of hops) {
    if (h.origin === 'postfix' && h.status === 'received' && handedTo.has(h.queueId)) continue;
    const here = h.queueId ? `${h.host} ${h.queueId}` : h.host;
    const when = h.time ? h.time.slice(11, 19) : '';
    const tls = h.tls === true ? 'TLS' : h.tls === false ? 'no TLS' : '';
    const label = [when, tls, h.status].filter(Boolean).join(' · ');
    if (h.status === 'received' || h.origin === 'received') {
      if (h.from) out.push({ from: h.from, to: here, label });
    } else if (h.origin === 'dovecot' && h.to) {
      out.push({ from: h.from ?? here, to: `${h.host} ${h.to}`, label });
    } else if (h.to) {
      const target = h.nextQueueId ? nextNode(t, h) : h.to;
      out.push({ from: here, to: target, label });
    }
  }
  return out;
}

function nextNode(t: Trace, h: TraceHop): string {
  const k = t.queueIds.find((q) => q.endsWith(`/${h.nextQueueId}`));
  return k ? k.replace('/', ' ') : `${h.to} ${h.nextQueueId}`;
}

function ids(list: { from: string; to: string }[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of list) for (const n of [e.from, e.to]) if (!m.has(n)) m.set(n, `n${m.size}`);
  return m;
}

function esc(s: string): string {
  return s.replace(/"/g, "'");
}

/** A Mermaid flowchart of the path. */
export function renderTraceMermaid(t: Trace): string {
  const list = edges(t);
  const id = ids(list);
  const lines = ['flowchart LR'];
  for (const [name, n] of id) lines.push(`  ${n}["${esc(name)}"]`);
  for (const e of list) lines.push(`  ${id.get(e.from)} -->|"${esc(e.label)}"| ${id.get(e.to)}`);
  return `${lines.join('\n')}\n`;
}

/** A Graphviz DOT digraph of the path. */
export function renderTraceDot(t: Trace): string {
  const list = edges(t);
  const id = ids(list);
  const lines = ['digraph trace {', '  rankdir=LR;', '  node [shape=box];'];
  for (const [name, n] of id) lines.push(`  ${n} [label="${esc(name)}"];`);
  for (const e of list) lines.push(`  ${id.get(e.from)} -> ${id.get(e.to)} [label="${esc(e.label)}"];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
