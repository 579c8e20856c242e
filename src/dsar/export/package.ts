import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import yazl from 'yazl';
import { MailcomplyError } from '../../core/errors.js';
import type { IdentityMatcher } from '../identity.js';
import { renderFindJson } from '../search/render.js';
import { runFind, type FindOptions, type FindResult } from '../search/run.js';
import { sha256 } from '../sources/fs-util.js';
import type { Match, SourceSpec } from '../types.js';
import { renderSummaryHtml, type RetentionBySource } from './summary.js';

/** One item of the package manifest. */
export interface ManifestItem {
  /** Path inside the zip. */
  file: string;
  /** sha256 of the file in the zip. */
  sha256: string;
  /** Where the item is stored (its own sha256 is of the stored bytes). */
  location: Match['location'];
  hits: Match['hits'];
}

/** Options of an export. */
export interface ExportOptions extends Pick<
  FindOptions,
  'onProgress' | 'clock' | 'threads' | 'workersAfter'
> {
  retention?: RetentionBySource;
  ownDomains?: readonly string[];
}

/**
 * Searches and writes the Art. 15 package to `out` (zip, written to a temp file and renamed, so
 * a failed run never leaves half a package): messages/<kind>/NNNNN.eml as stored (mbox: without
 * the From_ line), logs/events.jsonl, manifest.json, report.json and summary.html.
 */
export async function exportPackage(
  sources: readonly SourceSpec[],
  id: IdentityMatcher,
  out: string,
  opts: ExportOptions = {},
): Promise<{ result: FindResult; manifest: ManifestItem[] }> {
  const zip = new yazl.ZipFile();
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  const file = createWriteStream(tmp);
  // Listened to from the start: an unwritable --out fails while the search is still running.
  const closed = new Promise<void>((res, rej) => {
    file.on('close', res);
    file.on('error', rej);
  });
  closed.catch(() => undefined);
  zip.outputStream.pipe(file);
  const manifest: ManifestItem[] = [];
  const files: string[] = [];
  const logLines: string[] = [];
  let n = 0;
  const mtime = (opts.clock ?? (() => new Date()))();
  try {
    const result = await runFind(sources, id, {
      ...opts,
      onMatch: (match, item) => {
        n++;
        if (item.type === 'message') {
          const name = `messages/${match.location.kind}/${String(n).padStart(5, '0')}.eml`;
          zip.addBuffer(item.raw, name, { mtime });
          manifest.push({ file: name, sha256: sha256(item.raw), location: match.location, hits: match.hits });
          files.push(name);
        } else {
          const line = JSON.stringify({
            location: match.location,
            hits: match.hits,
            text: item.text,
            event: item.event,
          });
          logLines.push(line);
          manifest.push({
            file: `logs/events.jsonl#${logLines.length}`,
            sha256: sha256(line),
            location: match.location,
            hits: match.hits,
          });
          files.push(`logs/events.jsonl line ${logLines.length}`);
        }
      },
    });
    const jsonl = logLines.length ? `${logLines.join('\n')}\n` : '';
    zip.addBuffer(Buffer.from(jsonl), 'logs/events.jsonl', { mtime });
    const manifestDoc = {
      kind: 'mailcomply.dsar.export',
      version: 1,
      subject: result.subject,
      generatedAt: result.finishedAt,
      sources: result.sources.map((s) => ({
        label: s.label,
        kind: s.source.kind,
        items: s.items,
        matches: s.matches,
      })),
      items: manifest,
      files: { 'logs/events.jsonl': sha256(jsonl) },
    };
    zip.addBuffer(Buffer.from(JSON.stringify(manifestDoc, null, 2)), 'manifest.json', { mtime });
    zip.addBuffer(Buffer.from(renderFindJson(result)), 'report.json', { mtime });
    const summary = renderSummaryHtml({
      result,
      retention: opts.retention ?? new Map(),
      ownDomains: opts.ownDomains ?? [],
      files,
    });
    zip.addBuffer(Buffer.from(summary), 'summary.html', { mtime });
    zip.end();
    await closed;
    await rename(tmp, out);
    return { result, manifest };
  } catch (err) {
    file.destroy();
    await unlink(tmp).catch(() => undefined);
    if (err instanceof MailcomplyError) throw err;
    throw new MailcomplyError(
      'E_IO',
      `cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause: err },
    );
  }
}
