/** One step of a message's path, from a log line or a Received header. */
export interface TraceHop {
  /** Where the evidence came from. */
  origin: 'postfix' | 'dovecot' | 'received';
  /** Host that handled the message at this step (syslog host, or the `by` host of a Received field). */
  host: string;
  /** ISO 8601 time when known. */
  time?: string;
  /** Postfix queue id on `host`. */
  queueId?: string;
  /** Where the message came from at this step (client name[ip], pickup, or a Received `from`). */
  from?: string;
  /** Where it went: relay name[ip]:port, a mailbox, or the next Received `by`. */
  to?: string;
  /** Recipient of a delivery step. */
  recipient?: string;
  /** TLS used on this hop: true, false, or undefined when the logs do not say. */
  tls?: boolean;
  /** TLS protocol and cipher when logged. */
  tlsDetail?: string;
  /** sent, deferred, bounced, received, saved, ... */
  status: string;
  /** Queue id the next host gave the message (`queued as ...`). */
  nextQueueId?: string;
  /** File and line of the evidence (or `copy` and the Received index). */
  evidence: string;
}

/** The path of one message. */
export interface Trace {
  schema: 1;
  /** The message-id or queue id asked for. */
  id: string;
  /** Message-ids seen for the traced message. */
  messageIds: string[];
  /** Queue ids the message had, in order of discovery, as host/queue-id. */
  queueIds: string[];
  /** Log hops in time order. */
  hops: TraceHop[];
  /** Hops from the copy's Received chain, oldest first. */
  received: TraceHop[];
  /** Hand-offs that name a next queue id that no given log holds. */
  unresolved: string[];
}
