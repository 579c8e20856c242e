/**
 * Reads TLS reports from what administrators have: report files (`.json`, `.json.gz`), saved
 * emails (`.eml`) and Maildirs of the `rua` mailbox, whose messages carry the report as an
 * `application/tlsrpt+gzip` or `application/tlsrpt+json` attachment (RFC 8460 §5.3).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { simpleParser } from 'mailparser';
import { describeError } from '../../core/errors.js';
import { TLSRPT_MAX_FILES, TLSRPT_MAX_INPUT_BYTES, TLSRPT_MAX_REPORT_BYTES } from '../../core/limits.js';
import { parseTlsReport, type TlsReport } from './parse.js';

/** A report and where it came from (file, and attachment name when it came in an email). */
export interface LoadedReport {
  source: string;
  report: TlsReport;
}

/** An input that could not be read as a TLS report, and why. */
export interface ReadProblem {
  source: string;
  reason: string;
}

/** Everything read from the inputs. */
export interface ReadResult {
  reports: LoadedReport[];
  problems: ReadProblem[];
  /** Emails and files looked at that held no TLS report (other mail in the mailbox). */
  skipped: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const REPORT_TYPES = ['application/tlsrpt+gzip', 'application/tlsrpt+json'];

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
}

/** Parses report bytes (JSON, or gzip of JSON); throws with a short reason. */
export function decodeReportBytes(bytes: Buffer): TlsReport {
  const raw = isGzip(bytes) ? gunzipSync(bytes, { maxOutputLength: TLSRPT_MAX_REPORT_BYTES }) : bytes;
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw new Error('not valid JSON');
  }
  const report = parseTlsReport(json);
  if (!report) throw new Error('JSON, but not an RFC 8460 report (no "policies" array)');
  return report;
}

function looksLikeJson(b: Buffer): boolean {
  const head = b
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return head.startsWith('{');
}

/** Reads one file: a report (JSON or gzip) or an email with report attachments. */
async function readOne(path: string, out: ReadResult): Promise<void> {
  let bytes: Buffer;
  try {
    const s = await stat(path);
    if (s.size > TLSRPT_MAX_INPUT_BYTES) {
      out.problems.push({ source: path, reason: `larger than ${TLSRPT_MAX_INPUT_BYTES} bytes; not read` });
      return;
    }
    bytes = await readFile(path);
  } catch (err) {
    out.problems.push({
      source: path,
      reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? describeError(err)}`,
    });
    return;
  }
  if (bytes.length === 0) {
    out.problems.push({ source: path, reason: 'empty file' });
    return;
  }
  if (isGzip(bytes) || looksLikeJson(bytes)) {
    try {
      out.reports.push({ source: path, report: decodeReportBytes(bytes) });
    } catch (err) {
      out.problems.push({ source: path, reason: describeError(err) });
    }
    return;
  }
  await readEmail(path, bytes, out);
}

async function readEmail(path: string, bytes: Buffer, out: ReadResult): Promise<void> {
  let parsed;
  try {
    parsed = await simpleParser(bytes, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  } catch (err) {
    out.problems.push({
      source: path,
      reason: `not a report and not a readable email: ${describeError(err)}`,
    });
    return;
  }
  const attachments = parsed.attachments.filter((a) => {
    const type = a.contentType.toLowerCase();
    if (REPORT_TYPES.includes(type)) return true;
    // Some senders label the report generically; the RFC 8460 file name gives it away.
    return /\.json(\.gz)?$/i.test(a.filename ?? '') && /(gzip|json|octet-stream)/.test(type);
  });
  if (attachments.length === 0) {
    out.skipped++;
    return;
  }
  attachments.forEach((a, i) => {
    const source = `${path} (${a.filename ?? `attachment ${i + 1}`})`;
    try {
      out.reports.push({ source, report: decodeReportBytes(a.content) });
    } catch (err) {
      out.problems.push({ source, reason: describeError(err) });
    }
  });
}

/** Files under a directory (a Maildir's cur/ and new/, or any tree of reports), sorted, bounded. */
async function walk(dir: string, files: string[], out: ReadResult): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    out.problems.push({
      source: dir,
      reason: `cannot list: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    });
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    // Maildir's tmp/ holds messages still being delivered; dot files are client state.
    if (e.name.startsWith('.') || (e.isDirectory() && e.name === 'tmp')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, files, out);
    else if (e.isFile()) {
      if (files.length >= TLSRPT_MAX_FILES) {
        out.problems.push({
          source: dir,
          reason: `more than ${TLSRPT_MAX_FILES} files; the rest were not read`,
        });
        return;
      }
      files.push(path);
    }
  }
}

/**
 * Reads every report in `inputs` (files or directories). Never throws for bad input: unreadable
 * or malformed inputs are listed in `problems`.
 */
export async function readTlsReports(inputs: readonly string[]): Promise<ReadResult> {
  const out: ReadResult = { reports: [], problems: [], skipped: 0 };
  for (const input of inputs) {
    let isDir = false;
    try {
      isDir = (await stat(input)).isDirectory();
    } catch (err) {
      out.problems.push({
        source: input,
        reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      });
      continue;
    }
    if (!isDir) {
      await readOne(input, out);
      continue;
    }
    const files: string[] = [];
    await walk(input, files, out);
    for (const f of files) await readOne(f, out);
  }
  return out;
}
