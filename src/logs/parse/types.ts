/** Line formats the parser recognises (the envelope around the message; the program decides the fields). */
export type LogFormat =
  | 'syslog' // RFC 3164 "Nov 27 10:00:00 host prog[pid]: msg", also Postfix maillog_file and Dovecot log_path
  | 'syslog-iso' // RFC 3339 timestamp instead (rsyslog high precision, journalctl -o short-iso)
  | 'rfc5424' // "<pri>1 2024-01-01T10:00:00Z host prog pid msgid [sd] msg"
  | 'journald-json' // journalctl -o json
  | 'exim' // Exim mainlog: "2024-01-01 10:00:00 [pid] id <= ..."
  | 'exchange-csv'; // Exchange message tracking log (#Fields: header)

export const LOG_FORMATS: readonly LogFormat[] = [
  'syslog',
  'syslog-iso',
  'rfc5424',
  'journald-json',
  'exim',
  'exchange-csv',
];

/** One log line as a typed event. Absent fields were not in the line. */
export interface LogEvent {
  /** 1-based line number in the input. */
  line: number;
  format: LogFormat;
  /** ISO 8601; a syslog time without a year gets the year from the parse options. */
  time?: string;
  host?: string;
  program?: string;
  pid?: number;
  /** Which parser filled the fields: postfix, dovecot, exim, sendmail, exchange, or other. */
  source: 'postfix' | 'dovecot' | 'exim' | 'sendmail' | 'exchange' | 'other';
  /** The free-text part after the envelope (syslog message, Exim line body, CSV row). */
  message: string;
  queueId?: string;
  messageId?: string;
  from?: string;
  to?: string[];
  origTo?: string;
  clientHost?: string;
  clientIp?: string;
  relay?: string;
  saslUsername?: string;
  saslMethod?: string;
  status?: string;
  dsn?: string;
  delay?: number;
  /** Postfix delays=a/b/c/d: before queue manager, in queue manager, connection setup, transmission. */
  delays?: number[];
  size?: number;
  /** Exim/Exchange event: `<=` arrival, `=>` delivery, `**` bounce, RECEIVE, DELIVER, ... */
  event?: string;
  /** IMAP/POP login user and remote address (Dovecot). */
  loginUser?: string;
  loginIp?: string;
  /** The service that logged in (imap, pop3, submission, ...). */
  service?: string;
  subject?: string;
}

/** The result of parsing one line. */
export type ParsedLine = { ok: true; event: LogEvent } | { ok: false; line: number; text: string };
