import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandConfig, type Config } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import { breaches, type Severity } from '../../core/finding.js';
import { SCAN_DEFAULT_CONCURRENCY, SCAN_DEFAULT_TIMEOUT_S } from '../../core/limits.js';
import { DnsClient } from '../../dns/client.js';
import { parseServer, systemServers } from '../../dns/servers.js';
import type { Resolver } from '../../dns/types.js';
import { scanDomains } from '../../domain/scan.js';
import { startLab } from '../../lab/lab.js';
import { defaultCatalog, processorStep, registerCheck, type ProviderCatalog } from '../../providers/index.js';
import { buildProcessorsDoc, cell, registerCsv, type ProcessorsDoc } from '../../providers/report.js';
import { renderProcessorsHtml, renderProcessorsText } from '../../report/processors-doc.js';
import { EXIT } from '../exit-codes.js';
import { emit, useColor } from '../output.js';
import { collect, parseSeverity, positiveNumber, readDomainsFile } from '../options.js';
import { progressReporter } from '../progress.js';

type RegisterFormat = 'text' | 'json' | 'html' | 'csv';
const FORMATS: readonly RegisterFormat[] = ['text', 'json', 'html', 'csv'];

interface ProcessorsFlags {
  domainsFile?: string;
  resolver?: string[];
  dkimSelector?: string[];
  format: RegisterFormat;
  out?: string;
  failOn?: Severity;
  concurrency: number;
  timeout: number;
  quiet?: boolean;
  lab?: boolean;
  catalog?: boolean;
  config?: string;
}

function parseRegisterFormat(value: string): RegisterFormat {
  if (!(FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  return value as RegisterFormat;
}

/** `mailcomply processors`: the processor register of the given domains, from their DNS. */
export function registerProcessors(program: Command): void {
  program
    .command('processors')
    .description(
      'list who processes the domains\u2019 mail (SPF, MX, DKIM, DMARC/TLS-RPT reports, MTA-STS) and check it against the register in mailcomply.yaml',
    )
    .argument('[domains...]', 'domain names')
    .option('--domains-file <file>', 'read domain names from a file, one per line (# comments)')
    .option(
      '--resolver <host[:port]>',
      'DNS resolver to ask (repeatable; default: the system resolvers)',
      collect,
    )
    .option('--dkim-selector <selector>', 'extra DKIM selector to look for (repeatable)', collect)
    .option(
      '--format <format>',
      'text, json, html or csv (the register, for an Art. 30 record)',
      parseRegisterFormat,
      'text',
    )
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding at or above this severity fails', parseSeverity)
    .option('--concurrency <n>', 'domains looked at once', positiveNumber(1024), SCAN_DEFAULT_CONCURRENCY)
    .option('--timeout <seconds>', 'time limit per domain', positiveNumber(3600), SCAN_DEFAULT_TIMEOUT_S)
    .option('--quiet', 'no progress on stderr')
    .option('--lab', 'look at the built-in lab (started in-process); no domains = all lab domains')
    .option('--catalog', 'print the processor catalogue instead (all formats but html)')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply processors example.org\n  mailcomply processors example.org --config mailcomply.yaml --format csv --out register.csv\n  mailcomply processors --lab --format html --out register.html',
    )
    .action(async (domains: string[], _flags: ProcessorsFlags, cmd: Command) => {
      process.exitCode = await runProcessors(domains, cmd.optsWithGlobals<ProcessorsFlags>(), cmd);
    });
}

async function runProcessors(args: string[], flags: ProcessorsFlags, cmd: Command): Promise<number> {
  // The register is read first: a broken mailcomply.yaml stops the run before any network work.
  const loaded = commandConfig(cmd, [registerCheck()]);
  if (flags.catalog) return printCatalog(defaultCatalog(), flags);
  const domains = [...args, ...(flags.domainsFile ? readDomainsFile(flags.domainsFile) : [])];
  if (flags.lab) {
    if (flags.resolver?.length) throw new UsageError('--lab brings its own resolver: leave out --resolver');
    const lab = await startLab({ dnsOnly: true });
    try {
      const list = domains.length ? domains : lab.scenario.scanDomains;
      return await report(list, lab.resolver, loaded.config, loaded.path, flags);
    } finally {
      await lab.close();
    }
  }
  if (domains.length === 0) throw new UsageError('no domain given: name one or more, or use --domains-file');
  const servers = flags.resolver?.length ? flags.resolver.map(parseServer) : systemServers();
  const resolver = new DnsClient({ servers });
  try {
    return await report(domains, resolver, loaded.config, loaded.path, flags);
  } finally {
    resolver.close();
  }
}

async function report(
  domains: string[],
  resolver: Resolver,
  config: Config,
  configPath: string | undefined,
  flags: ProcessorsFlags,
): Promise<number> {
  const progress = progressReporter(flags.quiet === true, 'looked at');
  const reports = await scanDomains(domains, {
    resolver,
    dkimSelectors: flags.dkimSelector ?? [],
    concurrency: Math.floor(flags.concurrency),
    timeoutS: flags.timeout,
    onDomain: progress.update,
    // Discovery alone: it asks only for the records that name processors.
    checks: [],
    processors: processorStep(config),
  });
  progress.done();
  const doc = buildProcessorsDoc(reports, {
    generatedAt: new Date(),
    config,
    ...(configPath ? { configPath } : {}),
  });
  emit(render(doc, flags), flags.out);
  if (!flags.failOn) return EXIT.OK;
  const threshold = flags.failOn;
  return doc.domains.some((d) => d.findings.some((f) => breaches(f, threshold))) ? EXIT.FINDINGS : EXIT.OK;
}

function render(doc: ProcessorsDoc, flags: ProcessorsFlags): string {
  if (flags.format === 'json') return JSON.stringify(doc, null, 2) + '\n';
  if (flags.format === 'csv') return registerCsv(doc);
  if (flags.format === 'html') return renderProcessorsHtml(doc);
  return renderProcessorsText(doc, { color: !flags.out && useColor(process.stdout) });
}

function printCatalog(catalog: ProviderCatalog, flags: ProcessorsFlags): number {
  let text: string;
  if (flags.format === 'json') text = JSON.stringify({ providers: catalog.providers }, null, 2) + '\n';
  else if (flags.format === 'csv' || flags.format === 'text') {
    const csv = flags.format === 'csv';
    const head = [
      'id',
      'name',
      'legal name',
      'country',
      'region',
      'DPF',
      'DPF recorded',
      'EU residency',
      'checked',
    ];
    const rows = [
      head,
      ...catalog.providers.map((p) => [
        p.id,
        p.name,
        p.legalName,
        p.country,
        p.region,
        p.dpf.status,
        p.dpf.asOf,
        p.euResidency,
        p.checked,
      ]),
    ];
    text =
      rows.map((r) => (csv ? r.map(cell).join(',') : r.join(' | '))).join(csv ? '\r\n' : '\n') +
      (csv ? '\r\n' : '\n');
  } else throw new UsageError('--catalog prints text, json or csv');
  emit(text, flags.out);
  return EXIT.OK;
}
