import type { Command } from 'commander';
import { breaches, type Severity } from '../../core/finding.js';
import { UsageError } from '../../core/errors.js';
import { commandConfig, type Config } from '../../core/config.js';
import { processorStep, registerCheck } from '../../providers/index.js';
import { SCAN_DEFAULT_CONCURRENCY, SCAN_DEFAULT_TIMEOUT_S } from '../../core/limits.js';
import { DnsClient } from '../../dns/client.js';
import { formatServer, parseServer, systemServers } from '../../dns/servers.js';
import type { Resolver } from '../../dns/types.js';
import { readConnectMap } from '../../lab/connect-map.js';
import { ACCESS_PORTS } from '../../smtp/access/services.js';
import type { AccessPort } from '../../smtp/access/types.js';
import { labDialer } from '../../lab/dialer.js';
import { labTransportOptions, startLab } from '../../lab/lab.js';
import { DEFAULT_MAX_MX, scanDomains, type TransportOptions } from '../../domain/scan.js';
import { DEFAULT_PER_IP_CONNECTIONS } from '../../domain/transport/probe-pool.js';
import { directDialer } from '../../core/dialer.js';
import { buildRun, type ScanRun } from '../../report/model.js';
import { renderReport } from '../render.js';
import { EXIT } from '../exit-codes.js';
import { emit } from '../output.js';
import {
  reportOptions,
  collect,
  positiveNumber,
  readDomainsFile,
  readPemFile,
  type Format,
} from '../options.js';

/** Addresses for the open-relay test: a foreign recipient under a reserved domain (RFC 2606); no DATA is sent. */
const RELAY_PROBE = { from: 'relay-probe@example.com', to: 'relay-probe@example.net' };
import { progressReporter } from '../progress.js';

interface ScanFlags {
  domainsFile?: string;
  resolver?: string[];
  dkimSelector?: string[];
  format: Format;
  out?: string;
  failOn?: Severity;
  concurrency: number;
  timeout: number;
  quiet?: boolean;
  probe: boolean;
  ca?: string[];
  probeRelay?: boolean;
  maxMx: number;
  perIp: number;
  lab?: boolean;
  connectMap?: string;
  ports?: true | string;
  host?: string[];
  /** The organisation's mailcomply.yaml (processor register), loaded before any network work. */
  registerConfig?: Config;
}

export function registerScan(program: Command): void {
  reportOptions(
    program
      .command('scan')
      .description(
        "judge domains' email posture: DNS records and the mail servers themselves (STARTTLS, MTA-STS, DANE)",
      )
      .argument('[domains...]', 'domain names (IDNs are converted to punycode)')
      .option('--domains-file <file>', 'read domain names from a file, one per line (# comments)')
      .option(
        '--resolver <host[:port]>',
        'DNS resolver to ask (repeatable; default: the system resolvers)',
        collect,
      )
      .option('--dkim-selector <selector>', 'extra DKIM selector to probe (repeatable)', collect),
  )
    .option('--concurrency <n>', 'domains scanned at once', positiveNumber(1024), SCAN_DEFAULT_CONCURRENCY)
    .option('--timeout <seconds>', 'time limit per domain', positiveNumber(3600), SCAN_DEFAULT_TIMEOUT_S)
    .option('--quiet', 'no progress; text output hides passing findings')
    .option(
      '--lab',
      'scan the built-in lab (started in-process) instead of the internet; no domains = all lab domains',
    )
    .option('--no-probe', 'DNS records only: do not connect to the MX hosts or fetch the MTA-STS policy')
    .option('--ca <file>', 'extra trusted CA certificates (PEM) for SMTP and MTA-STS (repeatable)', collect)
    .option(
      '--connect-map <file>',
      'send connections to the addresses in FILE elsewhere (from `mailcomply lab --export`)',
    )
    .option(
      '--ports [list]',
      'also probe submission and mailbox ports: 465,587,143,993,110,995 (default all)',
    )
    .option('--host <name>', 'extra host to probe on --ports, e.g. the IMAP server (repeatable)', collect)
    .option('--probe-relay', "test the domain's own MX hosts for open relaying (RCPT only, never DATA)")
    .option('--max-mx <n>', 'MX hosts probed per domain', positiveNumber(100), DEFAULT_MAX_MX)
    .option(
      '--per-ip <n>',
      'connections at once to one server address',
      positiveNumber(16),
      DEFAULT_PER_IP_CONNECTIONS,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply scan example.org\n  mailcomply scan --domains-file domains.txt --format html --out report.html\n  mailcomply scan example.org --resolver 127.0.0.1:5353 --fail-on high',
    )
    .action(async (domains: string[], flags: ScanFlags, cmd: Command) => {
      process.exitCode = await runScan(domains, {
        ...flags,
        registerConfig: commandConfig(cmd, [registerCheck()]).config,
      });
    });
}

async function runScan(args: string[], flags: ScanFlags): Promise<number> {
  if (flags.lab) return runLabScan(args, flags);
  const domains = [...args, ...(flags.domainsFile ? readDomainsFile(flags.domainsFile) : [])];
  if (domains.length === 0) throw new UsageError('no domain given: name one or more, or use --domains-file');
  const servers = flags.resolver?.length ? flags.resolver.map(parseServer) : systemServers();
  const resolver = new DnsClient({ servers });
  try {
    const transport = flags.probe ? transportOptions(flags) : undefined;
    return await scanAndReport(domains, resolver, servers.map(formatServer), transport, flags);
  } finally {
    resolver.close();
  }
}

/** `scan --lab`: the same scan against the built-in lab, with its resolver, servers and CA. */
async function runLabScan(args: string[], flags: ScanFlags): Promise<number> {
  if (flags.resolver?.length) throw new UsageError('--lab brings its own resolver: leave out --resolver');
  const lab = await startLab({ dnsOnly: !flags.probe });
  try {
    const domains = [...args, ...(flags.domainsFile ? readDomainsFile(flags.domainsFile) : [])];
    const transport = labTransportOptions(lab);
    return await scanAndReport(
      domains.length ? domains : lab.scenario.scanDomains,
      lab.resolver,
      [lab.address],
      transport && {
        ...transport,
        maxMx: Math.floor(flags.maxMx),
        perIp: Math.floor(flags.perIp),
        ...accessOptions(flags),
      },
      flags,
    );
  } finally {
    await lab.close();
  }
}

async function scanAndReport(
  domains: string[],
  resolver: Resolver,
  resolvers: string[],
  transport: TransportOptions | undefined,
  flags: ScanFlags,
): Promise<number> {
  const startedAt = new Date();
  const progress = progressReporter(flags.quiet === true, 'scanned');
  const reports = await scanDomains(domains, {
    resolver,
    dkimSelectors: flags.dkimSelector ?? [],
    concurrency: Math.floor(flags.concurrency),
    timeoutS: flags.timeout,
    onDomain: progress.update,
    ...(transport ? { transport } : {}),
    processors: processorStep(flags.registerConfig ?? {}),
  });
  progress.done();
  const run = buildRun(reports, { startedAt, finishedAt: new Date(), resolvers });
  emit(renderReport(run, flags.format, { quiet: flags.quiet === true, out: flags.out }), flags.out);
  return exitFor(run, flags.failOn);
}

function transportOptions(flags: ScanFlags): TransportOptions {
  return {
    dialer: flags.connectMap ? labDialer(readConnectMap(flags.connectMap)) : directDialer,
    maxMx: Math.floor(flags.maxMx),
    perIp: Math.floor(flags.perIp),
    ...accessOptions(flags),
    ...(flags.ca?.length ? { ca: flags.ca.map(readPemFile) } : {}),
    ...(flags.probeRelay ? { relay: RELAY_PROBE } : {}),
  };
}

function accessOptions(flags: ScanFlags): Pick<TransportOptions, 'accessPorts' | 'accessHosts'> {
  if (flags.host?.length && !flags.ports)
    throw new UsageError('--host names a host to probe on --ports: add --ports');
  if (!flags.ports) return {};
  return { accessPorts: parsePorts(flags.ports), accessHosts: flags.host ?? [] };
}

function parsePorts(value: true | string): AccessPort[] {
  if (value === true) return [...ACCESS_PORTS];
  return value.split(',').map((p) => {
    const n = Number(p.trim());
    if (!(ACCESS_PORTS as readonly number[]).includes(n)) {
      throw new UsageError(`--ports: ${p.trim()} is not one of ${ACCESS_PORTS.join(', ')}`);
    }
    return n as AccessPort;
  });
}

function exitFor(run: ScanRun, failOn: Severity | undefined): number {
  if (!failOn) return EXIT.OK;
  const hit = run.domains.some((d) => d.findings.some((f) => breaches(f, failOn)));
  return hit ? EXIT.FINDINGS : EXIT.OK;
}
