import { readFile } from 'node:fs/promises';
import { MailcomplyError } from '../../core/errors.js';
import { buildTrace, isMessageId } from './build.js';
import { readTraceEvents } from './collect.js';
import { copyMessageId, receivedHops } from './received-chain.js';
import type { Trace } from './types.js';

export type { Trace, TraceHop } from './types.js';
export { buildTrace, isMessageId } from './build.js';
export { readTraceEvents, type TracedEvent } from './collect.js';
export { receivedHops } from './received-chain.js';
export { renderTraceDot, renderTraceMermaid, renderTraceText } from './render.js';

/** Options of {@link traceMessage}. */
export interface TraceOptions {
  logs: readonly string[];
  /** A copy of the message (.eml) whose Received chain adds hops the logs may not have. */
  copy?: string;
  /** Year for syslog timestamps without one. */
  year?: number;
}

/** Traces a message-id or queue id through logs and, optionally, the Received chain of a copy. */
export async function traceMessage(id: string, opts: TraceOptions): Promise<Trace> {
  let raw: string | undefined;
  if (opts.copy) {
    try {
      raw = await readFile(opts.copy, 'latin1');
    } catch (err) {
      throw new MailcomplyError(
        'E_IO',
        `cannot read ${opts.copy}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        {
          cause: err,
        },
      );
    }
  }
  const events = await readTraceEvents(opts.logs, opts.year);
  // A queue id asked for with a copy at hand: the copy's Message-ID also links the other hosts' queue ids.
  const trace = buildTrace(id, events);
  if (raw !== undefined) {
    trace.received = receivedHops(raw);
    const mid = copyMessageId(raw);
    if (mid && !isMessageId(id) && !trace.messageIds.includes(mid)) {
      const more = buildTrace(mid, events);
      if (more.hops.length && !trace.hops.length) return { ...more, id, received: trace.received };
    }
  }
  return trace;
}
