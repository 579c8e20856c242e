import { LOG_DETECT_SAMPLE_LINES } from '../../core/limits.js';
import { looksLike, parseEnvelope } from './envelope.js';
import { ExchangeTracking } from './exchange.js';
import { dovecotFields, eximFields, postfixFields, sendmailFields } from './programs.js';
import type { LogEvent, LogFormat, ParsedLine } from './types.js';

const DETECT_ORDER: readonly LogFormat[] = [
  'exchange-csv',
  'journald-json',
  'rfc5424',
  'syslog-iso',
  'exim',
  'syslog',
];

/** Picks the format most of the sample lines have; undefined when none fits. */
export function detectFormat(sample: readonly string[]): LogFormat | undefined {
  const lines = sample.filter((l) => l.trim() !== '').slice(0, LOG_DETECT_SAMPLE_LINES);
  let best: LogFormat | undefined;
  let bestHits = 0;
  for (const f of DETECT_ORDER) {
    const hits = lines.filter((l) => looksLike(l, f)).length;
    if (hits > bestHits) {
      best = f;
      bestHits = hits;
    }
  }
  return best;
}

/** Options for a parser. */
export interface ParserOptions {
  /** Force a format instead of detecting it from the first lines. */
  format?: LogFormat;
  /** Year for syslog timestamps that have none (default: the current year). */
  year?: number;
}

/**
 * Parses a log line by line. The format is detected from the first lines (buffered until enough are
 * seen) and then each line is tried against it, falling back to the other formats so a file with
 * mixed formats (a syslog file with a few Exim lines) still parses. Unparsed lines are returned, not dropped.
 */
export class LogParser {
  private format: LogFormat | undefined;
  private readonly year: number;
  private readonly exchange = new ExchangeTracking();
  private lineNo = 0;
  private pending: string[] = [];
  readonly stats = { lines: 0, parsed: 0, unparsed: 0 };

  constructor(opts: ParserOptions = {}) {
    this.format = opts.format;
    this.year = opts.year ?? new Date().getFullYear();
  }

  /** The detected (or forced) format, once known. */
  get detected(): LogFormat | undefined {
    return this.format;
  }

  /** Feeds one line (without its newline); returns the results that became ready. */
  push(line: string): ParsedLine[] {
    if (this.format) return this.one(line);
    this.pending.push(line);
    if (this.pending.length < LOG_DETECT_SAMPLE_LINES) return [];
    return this.drain();
  }

  /** Call at the end of input: parses what was held back for detection. */
  end(): ParsedLine[] {
    return this.format ? [] : this.drain();
  }

  private drain(): ParsedLine[] {
    this.format = detectFormat(this.pending) ?? 'syslog';
    const lines = this.pending;
    this.pending = [];
    return lines.flatMap((l) => this.one(l));
  }

  private one(raw: string): ParsedLine[] {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const n = ++this.lineNo;
    this.stats.lines++;
    if (line.trim() === '') {
      // Blank lines are neither events nor data: counted as lines only.
      return [];
    }
    const event = this.parse(line, n);
    if (event === null) return [];
    if (!event) {
      this.stats.unparsed++;
      return [{ ok: false, line: n, text: line }];
    }
    this.stats.parsed++;
    return [{ ok: true, event }];
  }

  /** null: a header line (Exchange #Fields); undefined: not parseable. */
  private parse(line: string, n: number): LogEvent | null | undefined {
    const format = this.format!;
    if (format === 'exchange-csv') {
      const f = this.exchange.row(line);
      if (f === null) return null;
      return f ? ({ line: n, format, ...f } as LogEvent) : undefined;
    }
    for (const fmt of [format, ...DETECT_ORDER.filter((f) => f !== format && f !== 'exchange-csv')]) {
      const env = parseEnvelope(line, fmt, this.year);
      if (env) return eventFrom(n, fmt, env);
    }
    return undefined;
  }
}

function eventFrom(
  line: number,
  format: LogFormat,
  env: ReturnType<typeof parseEnvelope> & object,
): LogEvent {
  const base: LogEvent = {
    line,
    format,
    source: 'other',
    message: env.message,
    program: env.program,
    ...(env.time ? { time: env.time } : {}),
    ...(env.host ? { host: env.host } : {}),
    ...(env.pid !== undefined ? { pid: env.pid } : {}),
  };
  const p = env.program;
  let fields: Partial<LogEvent> = {};
  if (format === 'exim' || p === 'exim' || p === 'exim4') fields = eximFields(env.message);
  else if (p.startsWith('postfix') || p === 'postscreen' || /^postfix[-/]/.test(p))
    fields = postfixFields(env.message);
  else if (
    p === 'dovecot' ||
    p.startsWith('dovecot/') ||
    /^(imap|pop3|lmtp|submission|managesieve|auth)(-login|-worker)?$/.test(p)
  )
    fields = dovecotFields(env.message, p);
  else if (p === 'sendmail' || p.startsWith('sm-')) fields = sendmailFields(env.message);
  return { ...base, ...fields };
}

/** Parses a whole text (tests, small files). */
export function parseLogText(
  text: string,
  opts: ParserOptions = {},
): { results: ParsedLine[]; parser: LogParser } {
  const parser = new LogParser(opts);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const results = lines.flatMap((l) => parser.push(l));
  results.push(...parser.end());
  return { results, parser };
}
