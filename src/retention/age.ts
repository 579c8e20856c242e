/**
 * Ages from content, not only mtime: a copied or restored file gets a fresh mtime, and deleting mail
 * that is really old but looks new (or keeping mail that looks old) must not hinge on it.
 */
import { open } from 'node:fs/promises';
import { parseEnvelope } from '../logs/parse/envelope.js';
import { detectFormat, LogParser } from '../logs/parse/parser.js';
import type { LogFormat } from '../logs/parse/types.js';
import { logLines } from '../logs/read-lines.js';
import { LOG_DETECT_SAMPLE_LINES, RETENTION_HEADER_BYTES } from '../core/limits.js';

const DAY_MS = 86_400_000;
const ENVELOPE_FORMATS: readonly LogFormat[] = ['journald-json', 'rfc5424', 'syslog-iso', 'exim', 'syslog'];

/** Time span a log file covers, from its own timestamps. */
export interface LogSpan {
  oldest?: number;
  newest?: number;
  lines: number;
  /** Lines that carried a time. */
  timed: number;
}

/**
 * Reads every line of a log (plain or gzip) and returns its oldest and newest timestamps. Classic
 * syslog lines have no year: they get the year of the file's mtime, or the year before when that
 * would put them after the mtime (a December line in a file rotated in January).
 */
export async function logSpan(path: string, mtimeMs: number): Promise<LogSpan> {
  const year = new Date(mtimeMs).getFullYear();
  const span: LogSpan = { lines: 0, timed: 0 };
  const note = (time: string | undefined, format: LogFormat): void => {
    if (!time) return;
    let t = Date.parse(time);
    if (!Number.isFinite(t)) return;
    if (format === 'syslog' && t > mtimeMs + DAY_MS) t = Date.parse(`${year - 1}${time.slice(4)}`);
    span.timed++;
    if (span.oldest === undefined || t < span.oldest) span.oldest = t;
    if (span.newest === undefined || t > span.newest) span.newest = t;
  };
  // Only the envelope's time is needed, so lines skip the field parsers; Exchange CSV has no
  // envelope and goes through the full parser.
  const sample: string[] = [];
  let format: LogFormat | undefined;
  let parser: LogParser | undefined;
  const one = (line: string): void => {
    if (parser) {
      for (const r of parser.push(line)) if (r.ok) note(r.event.time, r.event.format);
      return;
    }
    const env = parseEnvelope(line, format!, year);
    if (env) return note(env.time, format!);
    // A mixed file (a few Exim or ISO lines in a syslog file): try the other envelopes, as logs parse does.
    if (line.trim() === '') return;
    for (const f of ENVELOPE_FORMATS) {
      if (f === format) continue;
      const other = parseEnvelope(line, f, year);
      if (other) return note(other.time, f);
    }
  };
  const decide = (): void => {
    format = detectFormat(sample) ?? 'syslog';
    if (format === 'exchange-csv') parser = new LogParser({ format, year });
    for (const l of sample) one(l);
    sample.length = 0;
  };
  for await (const line of logLines(path)) {
    span.lines++;
    if (format) one(line);
    else {
      sample.push(line);
      if (sample.length >= LOG_DETECT_SAMPLE_LINES) decide();
    }
  }
  if (!format) decide();
  if (parser) for (const r of parser.end()) if (r.ok) note(r.event.time, r.event.format);
  return span;
}

/** Where a message's time came from. */
export type MessageTimeSource = 'delivery' | 'date' | 'mtime';

/** Delivery time from a Maildir file name (`1700000000.M1P2.host:2,S`), when it has one. */
export function maildirDeliveryTime(name: string): number | undefined {
  const m = /^(\d{9,11})\./.exec(name);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** The Date: header of a message, from its first bytes only (bodies are never read). */
export function headerDate(head: string): number | undefined {
  const end = head.search(/\r?\n\r?\n/);
  const headers = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^date:[ \t]*(.+)$/im.exec(headers);
  if (!m) return undefined;
  const t = Date.parse(m[1]!.replace(/\s*\([^)]*\)\s*$/, '').trim());
  return Number.isFinite(t) ? t : undefined;
}

/** The start of a message: 8 KiB usually holds the whole header; only a longer header is read further. */
async function readHead(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const small = Buffer.alloc(HEAD_FIRST_READ);
    const { bytesRead } = await fh.read(small, 0, small.length, 0);
    const text = small.subarray(0, bytesRead).toString('latin1');
    if (bytesRead < small.length || /\r?\n\r?\n/.test(text)) return text;
    const buf = Buffer.alloc(RETENTION_HEADER_BYTES);
    const more = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, more.bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

const HEAD_FIRST_READ = 8 * 1024;

/**
 * A message's time for retention: the later of its delivery time (Maildir name) and its Date: header,
 * so a message is never purged early; a Date: in the future (forged or a wrong clock) is ignored.
 * Falls back to mtime when neither exists.
 */
export async function messageTime(
  path: string,
  name: string,
  mtimeMs: number,
  nowMs: number,
): Promise<{ time: number; source: MessageTimeSource }> {
  const head = await readHead(path);
  const delivery = maildirDeliveryTime(name);
  const date = headerDate(head);
  const usableDate = date !== undefined && date <= nowMs + DAY_MS ? date : undefined;
  if (delivery !== undefined && (usableDate === undefined || delivery >= usableDate)) {
    return { time: delivery, source: 'delivery' };
  }
  if (usableDate !== undefined) return { time: usableDate, source: 'date' };
  return { time: mtimeMs, source: 'mtime' };
}
