import { clauseHosts, clauseText, receivedClauses } from '../../message/received.js';
import type { TraceHop } from './types.js';

/** Header block of a raw message: everything before the first empty line. */
function headerBlock(raw: string): string {
  const m = /\r?\n\r?\n/.exec(raw);
  return m ? raw.slice(0, m.index) : raw;
}

/** Unfolded values of every field called `name`, top to bottom. */
export function headerValues(raw: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'gim');
  for (const m of headerBlock(raw).matchAll(re)) out.push(m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim());
  return out;
}

/** `with` protocols that say the hop used TLS (RFC 3848: a trailing S, with or without A). */
function tlsOf(proto: string): boolean | undefined {
  const p = proto.toUpperCase();
  if (/^(UTF8)?(E?SMTP|LMTP)S/.test(p)) return true;
  if (/^(UTF8)?(E?SMTP|LMTP)A?$/.test(p)) return false;
  return undefined;
}

/**
 * The hops in a copy's Received chain, oldest first. The fields are added top-down by each host, so
 * the bottom one is the first hop; each says who handed the message over (`from`) to whom (`by`).
 */
export function receivedHops(raw: string): TraceHop[] {
  const values = headerValues(raw, 'Received');
  const hops: TraceHop[] = [];
  values.forEach((value, i) => {
    const c = receivedClauses(value);
    const by = clauseHosts(clauseText(value, c.by))[0] ?? '?';
    const fromText = clauseText(value, c.from);
    const proto = clauseText(value, c.with).split(/\s/)[0] ?? '';
    const tls = proto ? tlsOf(proto) : undefined;
    const tlsComment = /\(using (TLS[^)]*)\)/i.exec(value)?.[1];
    const id = /(?:^|\s)id\s+([^\s;]+)/.exec(value.slice(0, c.dateAt ?? value.length))?.[1];
    const date = c.dateAt !== undefined ? new Date(value.slice(c.dateAt + 1).trim()) : undefined;
    hops.push({
      origin: 'received',
      host: by,
      ...(date && !Number.isNaN(date.getTime()) ? { time: date.toISOString() } : {}),
      ...(id ? { queueId: id } : {}),
      ...(fromText ? { from: fromText.replace(/\s+/g, ' ') } : {}),
      to: by,
      ...(tls !== undefined ? { tls } : tlsComment ? { tls: true } : {}),
      ...(tlsComment ? { tlsDetail: tlsComment } : {}),
      status: proto ? `with ${proto}` : 'received',
      evidence: `copy Received[${i}]`,
    });
  });
  return hops.reverse();
}

/** Message-ID of a copy, without angle brackets. */
export function copyMessageId(raw: string): string | undefined {
  const v = headerValues(raw, 'Message-ID')[0];
  const m = v ? /<([^>]+)>/.exec(v) : undefined;
  return m?.[1] ?? (v || undefined);
}
