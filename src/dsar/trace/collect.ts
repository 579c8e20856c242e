import { LogParser } from '../../logs/parse/parser.js';
import type { LogEvent } from '../../logs/parse/types.js';
import { logLines } from '../../logs/read-lines.js';

/** A parsed log event with the file it came from and the TLS session it belongs to, if any. */
export interface TracedEvent extends LogEvent {
  file: string;
  /** `TLSv1.3 with cipher ...` from the same process's last "TLS connection established" line. */
  tls?: string;
}

const TLS_LINE = /^(?:\w+ )?TLS connection established (?:from|to) \S+: (.*)$/;

/**
 * Reads logs into events, attaching to each queue-id line the TLS state of the Postfix process that
 * wrote it: the "TLS connection established" line carries no queue id, only the process does.
 */
export async function readTraceEvents(files: readonly string[], year?: number): Promise<TracedEvent[]> {
  const out: TracedEvent[] = [];
  for (const file of files) {
    const parser = new LogParser(year === undefined ? {} : { year });
    const session = new Map<string, string>();
    const take = (results: ReturnType<LogParser['push']>): void => {
      for (const r of results) {
        if (!r.ok) continue;
        const e = r.event;
        const proc = `${e.host ?? ''}/${e.program ?? ''}/${e.pid ?? ''}`;
        const tls = TLS_LINE.exec(e.message);
        if (tls) {
          session.set(proc, tls[1]!);
          continue;
        }
        if (e.event === 'connect' || e.event === 'disconnect') session.delete(proc);
        const t = session.get(proc);
        out.push({ ...e, file, ...(t && e.queueId ? { tls: t } : {}) });
        // An SMTP/LMTP client process moves on to another destination after a delivery line.
        if (e.relay && !/smtpd$/.test(e.program ?? '')) session.delete(proc);
      }
    };
    for await (const line of logLines(file)) take(parser.push(line));
    take(parser.end());
  }
  return out;
}
