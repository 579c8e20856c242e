import type { TracedEvent } from './collect.js';
import type { Trace, TraceHop } from './types.js';

const QUEUED_AS = /\bqueued as ([0-9A-Za-z]{5,24})\b/;
const DOVECOT_MSGID = /\bmsgid=<([^>]*)>/;
const DOVECOT_SAVED = /saved mail to (.+?)$/;

/** True when `id` reads as a Message-ID rather than a Postfix queue id. */
export function isMessageId(id: string): boolean {
  return id.includes('@') || id.startsWith('<');
}

function bare(id: string): string {
  return id.replace(/^<|>$/g, '');
}

function key(e: TracedEvent): string {
  return `${e.host ?? '?'}/${e.queueId}`;
}

/**
 * Follows one message through the given events: from the queue ids that carry the message-id (or
 * the queue id asked for), along every `queued as` hand-off to the queue id that another host (or a
 * content filter on the same host) gave it, to Dovecot deliveries of the same message-id.
 */
export function buildTrace(id: string, events: readonly TracedEvent[]): Trace {
  const byQueue = new Map<string, TracedEvent[]>();
  const hostsByQid = new Map<string, string[]>();
  for (const e of events) {
    if (!e.queueId || e.queueId === 'NOQUEUE') continue;
    const k = key(e);
    let list = byQueue.get(k);
    if (!list) {
      byQueue.set(k, (list = []));
      const hosts = hostsByQid.get(e.queueId) ?? [];
      hosts.push(e.host ?? '?');
      hostsByQid.set(e.queueId, hosts);
    }
    list.push(e);
  }
  const messageIds = new Set<string>();
  const todo: string[] = [];
  if (isMessageId(id)) {
    messageIds.add(bare(id));
    for (const e of events) if (e.queueId && e.messageId === bare(id)) todo.push(key(e));
  } else {
    for (const h of hostsByQid.get(id) ?? []) todo.push(`${h}/${id}`);
  }
  const seen = new Set<string>();
  const order: string[] = [];
  const unresolved: string[] = [];
  const hops: TraceHop[] = [];
  while (todo.length) {
    const k = todo.shift()!;
    if (seen.has(k)) continue;
    seen.add(k);
    order.push(k);
    const list = byQueue.get(k) ?? [];
    for (const e of list) {
      if (e.messageId) messageIds.add(e.messageId);
      const hop = hopOf(e);
      if (hop) hops.push(hop);
      const next = hop?.nextQueueId;
      if (!next) continue;
      const hosts = (hostsByQid.get(next) ?? []).filter((h) => !seen.has(`${h}/${next}`));
      if (!hosts.length && !(hostsByQid.get(next) ?? []).length) unresolved.push(next);
      // A queue id is unique per host; when two hosts share one, prefer the host the relay names.
      const relayHost = (e.relay ?? '').split(/[[:]/)[0]!.toLowerCase();
      hosts.sort((a, b) => Number(hostMatches(b, relayHost)) - Number(hostMatches(a, relayHost)));
      if (hosts[0]) todo.push(`${hosts[0]}/${next}`);
    }
  }
  // Message-ids found along the way pull in queue ids that no hand-off line names (a lost log line).
  for (const e of events) {
    if (e.queueId && e.messageId && messageIds.has(e.messageId) && !seen.has(key(e))) {
      seen.add(key(e));
      order.push(key(e));
      for (const x of byQueue.get(key(e)) ?? []) {
        const hop = hopOf(x);
        if (hop) hops.push(hop);
      }
    }
  }
  for (const e of events) {
    if (e.source !== 'dovecot') continue;
    const m = DOVECOT_MSGID.exec(e.message);
    if (!m || !messageIds.has(m[1]!)) continue;
    const saved = DOVECOT_SAVED.exec(e.message);
    // The LMTP/LDA hand-off on the same host is where Dovecot took the message from.
    const handOff = hops.find((h) => h.host === e.host && h.to && /lmtp|dovecot|lda/i.test(h.to));
    hops.push({
      origin: 'dovecot',
      host: e.host ?? '?',
      ...(e.time ? { time: e.time } : {}),
      from: handOff?.to ?? e.service ?? e.program ?? 'dovecot',
      to: saved ? `mailbox ${saved[1]}` : 'mailbox',
      ...(e.loginUser ? { recipient: e.loginUser } : {}),
      status: saved ? 'saved' : /error|fail|quota/i.test(e.message) ? 'failed' : 'seen',
      evidence: `${e.file}:${e.line}`,
    });
  }
  hops.sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  return {
    schema: 1,
    id,
    messageIds: [...messageIds],
    queueIds: order,
    hops,
    received: [],
    unresolved: [...new Set(unresolved)],
  };
}

function hostMatches(host: string, relayHost: string): boolean {
  const h = host.toLowerCase();
  return relayHost !== '' && (relayHost === h || relayHost.startsWith(`${h}.`));
}

/** The hop a queue-id line stands for: the arrival (client= / pickup uid=) or a delivery (to= relay=). */
function hopOf(e: TracedEvent): TraceHop | undefined {
  const base = {
    origin: 'postfix' as const,
    host: e.host ?? '?',
    ...(e.time ? { time: e.time } : {}),
    queueId: e.queueId!,
    evidence: `${e.file}:${e.line}`,
  };
  const tls = e.tls ? { tls: true, tlsDetail: e.tls } : {};
  if (e.clientHost !== undefined && /(^|\/)smtpd$/.test(e.program ?? '')) {
    const from = e.clientIp ? `${e.clientHost}[${e.clientIp}]` : e.clientHost;
    return { ...base, from, ...(e.tls ? tls : { tls: false }), status: 'received' };
  }
  const pickup = /^(?:[0-9A-Za-z]+: )?uid=(\d+) from=<([^>]*)>/.exec(e.message);
  if (pickup && /pickup$/.test(e.program ?? '')) {
    return { ...base, from: `local uid ${pickup[1]}`, status: 'received' };
  }
  if (e.relay && e.status) {
    const next = QUEUED_AS.exec(e.message)?.[1];
    const network = /\[[^\]]+\]:\d+$/.test(e.relay) && !/\[private\//.test(e.relay);
    // A reused cached connection (conn_use=) does not log its TLS handshake again: unknown, not false.
    const tlsState = e.tls ? tls : network && !/\bconn_use=/.test(e.message) ? { tls: false } : {};
    return {
      ...base,
      to: e.relay,
      ...(e.to?.[0] ? { recipient: e.to[0] } : {}),
      ...tlsState,
      status: e.status,
      ...(next ? { nextQueueId: next } : {}),
    };
  }
  return undefined;
}
