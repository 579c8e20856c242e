import { LogParser } from '../../logs/parse/parser.js';
import { logLines } from '../../logs/read-lines.js';
import type { ParsedLine } from '../../logs/parse/types.js';
import { describeError } from '../../core/errors.js';
import type { SourceKind } from '../types.js';
import { sha256 } from './fs-util.js';
import type { SourceItem } from './types.js';

/**
 * Reads a mail log (any format the logs parser knows, gzip too) line by line; each line comes
 * with its parsed event when it parsed. Location: file and 1-based line number, sha256 of the
 * line as read (UTF-8, without its line break).
 */
export async function* readLog(path: string, kind: SourceKind): AsyncGenerator<SourceItem> {
  const parser = new LogParser();
  const pending = new Map<number, string>();
  let n = 0;
  const emit = (results: ParsedLine[]): SourceItem[] =>
    results.map((r) => {
      const line = r.ok ? r.event.line : r.line;
      const text = pending.get(line) ?? (r.ok ? r.event.message : r.text);
      pending.delete(line);
      return {
        type: 'log',
        text,
        ...(r.ok ? { event: r.event } : {}),
        location: { type: 'log', kind, path, line, sha256: sha256(text) },
      };
    });
  try {
    for await (const text of logLines(path)) {
      n++;
      pending.set(n, text);
      for (const item of emit(parser.push(text))) yield item;
      // Blank lines produce no result; forget them once the parser is past detection.
      if (parser.detected && pending.size > 1) for (const k of pending.keys()) if (k < n) pending.delete(k);
    }
    for (const item of emit(parser.end())) yield item;
  } catch (err) {
    yield { type: 'problem', item: `${path}:${n + 1}`, reason: describeError(err).replace(path, 'log') };
  }
}
