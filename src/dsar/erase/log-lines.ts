import { createHash, randomBytes } from 'node:crypto';
import { openSync, readSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { deriveKeys, type AnonymizerKeys } from '../../logs/anonymize/keys.js';
import { Mapper } from '../../logs/anonymize/mapper.js';
import { DEFAULT_POLICY, type AnonymizePolicy } from '../../logs/anonymize/policy.js';
import { REDACTED } from '../../logs/anonymize/scanner-tables.js';
import { normaliseAddress, type DataSubject } from '../identity.js';
import type { MatchLocation } from '../types.js';
import { abandonRewrite, commitRewrite } from './rewrite.js';
import type { EraseOutcome } from './types.js';

type LogLocation = Extract<MatchLocation, { type: 'log' }>;

const LOCAL_BEFORE = "\\p{L}\\p{N}._%+\\-!#$'*^`{|}~";
const PLUS_TAG = "[\\p{L}\\p{N}._%\\-!#$'*^`{|}~=?/&]*";
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * Rewrites only the subject's identifiers in a line: each of their addresses becomes the pseudonym
 * `logs anonymize` gives it with the same key (so the two tools agree), each display name becomes
 * `[redacted]`. Everyone else's data on the line is left alone: it is not the subject's to erase.
 */
export class SubjectPseudonymiser {
  private readonly mapper: Mapper;
  private readonly addr: RegExp[];
  private readonly names: RegExp[];

  constructor(subject: DataSubject, keys?: AnonymizerKeys, policy: AnonymizePolicy = DEFAULT_POLICY) {
    this.mapper = new Mapper(policy, keys ?? deriveKeys(randomBytes(32)));
    this.addr = subject.addresses.map((a) => {
      const { local, domains } = normaliseAddress(a);
      return new RegExp(
        `(?<![${LOCAL_BEFORE}])(${esc(local)}(?:\\+${PLUS_TAG})?)@(${domains.map(esc).join('|')})(?![\\p{L}\\p{N}\\-]|\\.[\\p{L}\\p{N}])`,
        'giu',
      );
    });
    this.names = subject.names.map((n) => {
      const words = n.normalize('NFC').trim().split(/\s+/).filter(Boolean);
      return new RegExp(`(?<![\\p{L}\\p{N}])${words.map(esc).join('[\\s,]+')}(?![\\p{L}\\p{N}])`, 'giu');
    });
  }

  /** The line with the subject's identifiers replaced. */
  line(text: string): string {
    let out = text;
    for (const re of this.addr) {
      out = out.replace(re, (_m, local: string, domain: string) => {
        const d = domain.toLowerCase();
        return `${this.mapper.emailLocal(`${local.toLowerCase()}@${d}`)}@${domain}`;
      });
    }
    for (const re of this.names) out = out.replace(re, REDACTED);
    return out;
  }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Pseudonymises the given lines of one log: temp file, fsync, rename, mode kept. Line counts and
 * other lines stay byte for byte. A line that no longer hashes as searched (rotation, rewrite)
 * abandons the file. Lines appended while the rewrite runs are copied before the rename; a syslog
 * daemon still writing to the old inode afterwards is why live logs are best erased after rotation.
 */
export function pseudonymiseLogLines(
  path: string,
  items: readonly LogLocation[],
  pseudo: SubjectPseudonymiser,
): EraseOutcome[] {
  const want = new Map(items.map((l) => [l.line, l]));
  const fail = (result: EraseOutcome['result'], reason: string): EraseOutcome[] =>
    items.map((location) => ({ location, result, reason }));
  if (path.endsWith('.gz')) return fail('failed', 'compressed log: decompress it first, then erase');
  const tmp = join(dirname(path), `.${basename(path)}.mailcomply-${process.pid}.tmp`);
  let src: number | undefined;
  let dst: number | undefined;
  const done: EraseOutcome[] = [];
  try {
    const st = statSync(path);
    src = openSync(path, 'r');
    dst = openSync(tmp, 'wx', st.mode & 0o7777);
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    let lineNo = 1;
    let carry: Buffer = Buffer.alloc(0);
    const emit = (line: Buffer, nl: boolean): void => {
      const loc = want.get(lineNo);
      let outLine = line;
      if (loc) {
        const body = line.length && line[line.length - 1] === 13 ? line.subarray(0, -1) : line;
        if (sha(body) !== loc.sha256) throw Object.assign(new Error('line changed'), { code: 'ECHANGED' });
        const rewritten = Buffer.from(pseudo.line(body.toString('latin1')), 'latin1');
        outLine = body.length === line.length ? rewritten : Buffer.concat([rewritten, Buffer.from('\r')]);
        done.push({ location: loc, result: 'pseudonymised', sha256After: sha(rewritten) });
      }
      writeSync(dst!, outLine);
      if (nl) writeSync(dst!, Buffer.from('\n'));
      lineNo++;
    };
    for (;;) {
      const n = readSync(src, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        emit(chunk.subarray(start, nl), true);
        start = nl + 1;
      }
      carry = Buffer.from(chunk.subarray(start));
    }
    if (carry.length) emit(carry, false);
    if (done.length !== items.length)
      return fail('changed', 'log is shorter than when searched; not rewritten');
    const fd = dst;
    dst = undefined;
    commitRewrite(fd, tmp, path, st);
    return done;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECHANGED') return fail('changed', 'log line changed since the search; not rewritten');
    return fail(code === 'ENOENT' ? 'missing' : 'failed', `log rewrite failed: ${code ?? 'error'}`);
  } finally {
    abandonRewrite([dst, src], tmp);
  }
}
