import type { LogFormat } from './types.js';

/** The envelope of a line: when, where, which program; `message` is the rest. */
export interface Envelope {
  time?: string;
  host?: string;
  program: string;
  pid?: number;
  message: string;
}

const MONTHS: Record<string, number> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

// "Nov 27 10:00:00[.123456] host prog[pid]: msg"; Dovecot's own log file has no host ("Nov 27 10:00:00 imap-login: ...").
const BSD =
  /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d:\d\d:\d\d(?:\.\d{1,9})?) (?:<[a-z0-9]+\.[a-z]+> )?(?:(\S+) )??([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/s;
// "2024-01-01T10:00:00.123+01:00 host prog[pid]: msg" (also "+0100" from journalctl -o short-iso).
const ISO =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/s;
// RFC 5424: "<pri>1 TIMESTAMP HOST APP PROCID MSGID SD MSG".
const R5424 = /^(?:<\d{1,3}>)?1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)$/s;
const EXIM = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})?) (?:\[(\d+)\] )?(.*)$/s;

function isoFromParts(year: number, mon: number, day: number, time: string): string {
  return `${year}-${String(mon).padStart(2, '0')}-${String(day).padStart(2, '0')}T${time}`;
}

/** Normalises "+0100" to "+01:00" so the time is valid ISO 8601 / RFC 3339. */
function normaliseIso(t: string): string {
  return t.replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
}

/** Splits a line in the given format; undefined when the line does not have that shape. */
export function parseEnvelope(line: string, format: LogFormat, year: number): Envelope | undefined {
  switch (format) {
    case 'syslog': {
      const m = BSD.exec(line);
      if (!m) return undefined;
      const mon = MONTHS[m[1]!];
      if (!mon) return undefined;
      return {
        time: isoFromParts(year, mon, Number(m[2]), m[3]!),
        ...(m[4] ? { host: m[4] } : {}),
        program: m[5]!,
        ...(m[6] ? { pid: Number(m[6]) } : {}),
        message: m[7]!,
      };
    }
    case 'syslog-iso': {
      const m = ISO.exec(line);
      if (!m) return undefined;
      return {
        time: normaliseIso(m[1]!),
        host: m[2]!,
        program: m[3]!,
        ...(m[4] ? { pid: Number(m[4]) } : {}),
        message: m[5]!,
      };
    }
    case 'rfc5424': {
      const m = R5424.exec(line);
      if (!m) return undefined;
      const nil = (v: string): string | undefined => (v === '-' ? undefined : v);
      const pid = nil(m[4]!);
      return {
        ...(nil(m[1]!) ? { time: m[1]! } : {}),
        ...(nil(m[2]!) ? { host: m[2]! } : {}),
        program: nil(m[3]!) ?? '',
        ...(pid && /^\d+$/.test(pid) ? { pid: Number(pid) } : {}),
        message: m[7]!.replace(/^\uFEFF/, ''),
      };
    }
    case 'journald-json': {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return undefined;
      }
      if (!o || typeof o !== 'object' || typeof o.MESSAGE !== 'string') return undefined;
      const us = Number(o.__REALTIME_TIMESTAMP);
      const pid = Number(o.SYSLOG_PID ?? o._PID);
      return {
        ...(Number.isFinite(us) && us > 0 ? { time: new Date(us / 1000).toISOString() } : {}),
        ...(typeof o._HOSTNAME === 'string' ? { host: o._HOSTNAME } : {}),
        program: String(o.SYSLOG_IDENTIFIER ?? o._COMM ?? ''),
        ...(Number.isFinite(pid) && pid > 0 ? { pid } : {}),
        message: o.MESSAGE,
      };
    }
    case 'exim': {
      const m = EXIM.exec(line);
      if (!m) return undefined;
      const [date, time, tz] = m[1]!.split(' ');
      return {
        time: `${date}T${time}${tz ? normaliseIso(tz) : ''}`,
        program: 'exim',
        ...(m[2] ? { pid: Number(m[2]) } : {}),
        message: m[3]!,
      };
    }
    default:
      return undefined;
  }
}

/** Whether a line looks like the format, for detection (cheap checks, no field parsing). */
export function looksLike(line: string, format: LogFormat): boolean {
  switch (format) {
    case 'journald-json':
      return line.startsWith('{') && line.includes('"MESSAGE"');
    case 'exchange-csv':
      return line.startsWith('#Software: Microsoft Exchange') || line.startsWith('#Fields: date-time,');
    default:
      return parseEnvelope(line, format, 2000) !== undefined;
  }
}
