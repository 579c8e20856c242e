import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { commandConfig, type Config } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import { exportPackage } from '../../dsar/export/package.js';
import type { RetentionBySource } from '../../dsar/export/summary.js';
import { compileIdentity } from '../../dsar/identity.js';
import { renderFindHtml, renderFindJson, renderFindText } from '../../dsar/search/render.js';
import { runFind, type FindResult } from '../../dsar/search/run.js';
import { parseSourceFlag, sourceLabel } from '../../dsar/sources/index.js';
import type { SourceSpec, SourceType } from '../../dsar/types.js';
import { EXIT } from '../exit-codes.js';
import { collect, parseFormat, type Format } from '../options.js';
import { emit } from '../output.js';

/**
 * The `dsar` command group, created by whichever dsar module registers first, so each can add its
 * subcommands (`find`, `export`, `erase`, `verify`) independently.
 */
export function dsarGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'dsar');
  if (existing) return existing;
  return program
    .command('dsar')
    .description('data subject requests (Art. 15-17): find, export and erase a person\u2019s e-mail data');
}

/** Source and subject flags shared by the dsar commands. */
export interface DsarSourceFlags {
  subject?: string[];
  name?: string[];
  maildir?: string[];
  mbox?: string[];
  emlDir?: string[];
  log?: string[];
  quiet?: boolean;
  threads?: number;
}

function parseThreads(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected 1 to 64');
  return n;
}

/** Threads that search when --threads is not given: one per CPU, at most this many. */
const DEFAULT_MAX_THREADS = 4;

/**
 * Threads for a search: --threads, else one per CPU (at most 4). Measured (bench:dsar, 2 CPUs):
 * two threads search a large Maildir in about two thirds of the time of one; a small store never
 * starts a worker (see feed.ts).
 */
export function threadsFor(flags: DsarSourceFlags): number {
  return flags.threads ?? Math.min(availableParallelism(), DEFAULT_MAX_THREADS);
}

/** Adds the subject and source flags to a dsar subcommand. */
export function addSourceOptions(cmd: Command): Command {
  cmd
    .option('--subject <address>', 'e-mail address of the data subject (repeatable)', collect)
    .option('--name <name>', 'display name of the data subject (repeatable)', collect)
    .option(
      '--maildir <[kind=]path>',
      'Maildir (Dovecot layout with subfolders); kind: mailbox, sent, archive, quarantine',
      collect,
    )
    .option('--mbox <[kind=]path>', 'mbox file (also .gz)', collect)
    .option('--eml-dir <[kind=]path>', 'folder of .eml files (archive, amavis/rspamd quarantine)', collect)
    .option('--log <path>', 'mail log (syslog, journald JSON, Exim, Exchange; also .gz)', collect)
    .option('--quiet', 'no progress on stderr');
  return addThreadsOption(cmd);
}

/** Adds --threads (see threadsFor) to a command that searches. */
export function addThreadsOption(cmd: Command): Command {
  return cmd.option(
    '--threads <n>',
    `threads that search, this one included (default: one per CPU, at most ${DEFAULT_MAX_THREADS}; here ${Math.min(availableParallelism(), DEFAULT_MAX_THREADS)})`,
    parseThreads,
  );
}

/** The sources named on the command line, else those of mailcomply.yaml. */
export function sourcesFrom(flags: DsarSourceFlags, config: Config): SourceSpec[] {
  const out: SourceSpec[] = [];
  const add = (type: SourceType, values: string[] | undefined): void => {
    for (const v of values ?? []) out.push(parseSourceFlag(type, v));
  };
  add('maildir', flags.maildir);
  add('mbox', flags.mbox);
  add('eml-dir', flags.emlDir);
  add('log', flags.log);
  if (out.length) return out;
  for (const s of config.sources ?? []) {
    const kind = s.kind ?? (s.type === 'log' ? 'log' : 'mailbox');
    out.push(
      s.type === 'imap'
        ? { type: s.type, kind, url: s.url ?? '' }
        : { type: s.type, kind, path: s.path ?? '' },
    );
  }
  if (!out.length)
    throw new UsageError(
      'name at least one source (--maildir, --mbox, --eml-dir, --log) or list them under sources: in mailcomply.yaml',
    );
  return out;
}

/** Retention of each source from the `retention.stores` of mailcomply.yaml, matched by path. */
export function retentionBySource(sources: readonly SourceSpec[], config: Config): RetentionBySource {
  const map: RetentionBySource = new Map();
  const stores = config.retention?.stores ?? [];
  for (const s of sources) {
    if (!s.path) continue;
    const store = stores.find(
      (st) => st.path !== undefined && resolve(st.path) === resolve(s.path as string),
    );
    if (store)
      map.set(sourceLabel(s), `${store.maxAge}, then ${store.action} (retention store ${store.name})`);
  }
  return map;
}

function progress(
  flags: DsarSourceFlags,
): ((items: number, bytes: number, label: string) => void) | undefined {
  if (flags.quiet || !process.stderr.isTTY) return undefined;
  return (items, bytes, label) => {
    const mb = (bytes / 1048576).toFixed(1);
    process.stderr.write(
      label === 'done'
        ? `\r\x1b[K${items} items, ${mb} MB searched\n`
        : `\r\x1b[K${items} items, ${mb} MB: ${label}`,
    );
  };
}

function identity(flags: DsarSourceFlags): ReturnType<typeof compileIdentity> {
  return compileIdentity({ addresses: flags.subject ?? [], names: flags.name ?? [] });
}

function warnProblems(r: FindResult): void {
  if (r.problems.length)
    process.stderr.write(
      `mailcomply: ${r.problems.length} item(s) could not be searched; they are listed in the report\n`,
    );
}

/** `--imap` on find and export (erase adds its own): IMAP sources join the others. */
function withImap(cmd: Command): Command {
  return cmd.option(
    '--imap <[kind=]url>',
    'IMAP account imap(s)://user@host:port/ (secret in MAILCOMPLY_IMAP_PASSWORD or MAILCOMPLY_IMAP_TOKEN)',
    collect,
  );
}

function allSources(flags: DsarSourceFlags & { imap?: string[] }, config: Config): SourceSpec[] {
  const imap = (flags.imap ?? []).map((v) => parseSourceFlag('imap', v));
  const onDisk = [flags.maildir, flags.mbox, flags.emlDir, flags.log].some((v) => v?.length);
  if (imap.length && !onDisk) return imap;
  return [...sourcesFrom(flags, config), ...imap];
}

interface FindFlags extends DsarSourceFlags {
  imap?: string[];
  format: Format;
  out?: string;
}

interface ExportFlags extends DsarSourceFlags {
  imap?: string[];
  out: string;
}

/** `mailcomply dsar find` and `mailcomply dsar export`. */
export function registerDsar(program: Command): void {
  const group = dsarGroup(program);
  withImap(
    addSourceOptions(
      group
        .command('find')
        .description('find every message and log record about a person, with where and why it matched'),
    ),
  )
    .option('--format <format>', 'text, json or html', parseFormat, 'text')
    .option('--out <file>', 'write the report to a file instead of stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply dsar find --subject ann@example.org --maildir /var/vmail/example.org/ann/Maildir --log /var/log/mail.log\n  mailcomply dsar find --subject ann@example.org --name "Ann Example" --eml-dir quarantine=/var/lib/amavis/virusmails --format html --out ann.html',
    )
    .action(async (flags: FindFlags, cmd: Command) => {
      const { config } = commandConfig(cmd);
      const id = identity(flags);
      const sources = allSources(flags, config);
      const onProgress = progress(flags);
      const r = await runFind(sources, id, {
        threads: threadsFor(flags),
        ...(onProgress ? { onProgress } : {}),
      });
      const out =
        flags.format === 'json'
          ? renderFindJson(r)
          : flags.format === 'html'
            ? renderFindHtml(r)
            : renderFindText(r);
      emit(out, flags.out);
      warnProblems(r);
      process.exitCode = EXIT.OK;
    });
  withImap(
    addSourceOptions(
      group
        .command('export')
        .description(
          'write the Art. 15 package: matching messages (.eml), log records (JSONL), manifest, summary page',
        ),
    ),
  )
    .requiredOption('--out <file.zip>', 'the package to write (zip)')
    .addHelpText(
      'after',
      '\nExample:\n  mailcomply dsar export --subject ann@example.org --maildir /var/vmail/example.org/ann/Maildir --log /var/log/mail.log --out ann-art15.zip',
    )
    .action(async (flags: ExportFlags, cmd: Command) => {
      const { config } = commandConfig(cmd);
      const id = identity(flags);
      const sources = allSources(flags, config);
      const onProgress = progress(flags);
      const { result, manifest } = await exportPackage(sources, id, flags.out, {
        retention: retentionBySource(sources, config),
        ownDomains: config.organisation?.domains ?? [],
        threads: threadsFor(flags),
        ...(onProgress ? { onProgress } : {}),
      });
      process.stdout.write(
        `${flags.out}: ${manifest.length} items (${
          Object.entries(result.countsByKind)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || 'none found'
        })\n`,
      );
      warnProblems(result);
      process.exitCode = EXIT.OK;
    });
}
