import type { LogEvent } from './types.js';

/** Splits one CSV record (RFC 4180 quoting: "" inside quotes is a quote). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          v += line.slice(i);
          i = line.length;
          break;
        }
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      i = line.indexOf(',', i);
      if (i < 0) break;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        break;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
  return out;
}

/** Exchange message tracking rows become events once the `#Fields:` header has named the columns. */
export class ExchangeTracking {
  private fields: string[] | undefined;

  /** Returns the fields of a data row, `null` for a header/comment line, undefined when unparseable. */
  row(line: string): Partial<LogEvent> | null | undefined {
    if (line.startsWith('#')) {
      if (line.startsWith('#Fields: '))
        this.fields = line
          .slice(9)
          .split(',')
          .map((s) => s.trim());
      return null;
    }
    if (!this.fields) return undefined;
    const cells = splitCsv(line);
    if (cells.length < 3) return undefined;
    const get = (name: string): string | undefined => {
      const i = this.fields!.indexOf(name);
      const v = i >= 0 ? cells[i] : undefined;
      return v === undefined || v === '' ? undefined : v;
    };
    const time = get('date-time');
    if (!time || Number.isNaN(Date.parse(time))) return undefined;
    const f: Partial<LogEvent> = { source: 'exchange', time, message: line };
    const set = <K extends keyof LogEvent>(k: K, v: LogEvent[K] | undefined): void => {
      if (v !== undefined) f[k] = v;
    };
    set('clientIp', get('client-ip') ?? get('original-client-ip'));
    set('clientHost', get('client-hostname'));
    set('host', get('server-hostname'));
    set('event', get('event-id'));
    set('queueId', get('internal-message-id'));
    set('messageId', get('message-id')?.replace(/^<|>$/g, ''));
    set('from', get('sender-address'));
    set('to', get('recipient-address')?.split(';'));
    set('status', get('recipient-status'));
    set('subject', get('message-subject'));
    set('relay', get('server-ip'));
    const size = get('total-bytes');
    if (size && /^\d+$/.test(size)) f.size = Number(size);
    return f;
  }
}
