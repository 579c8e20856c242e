import type { Command } from 'commander';
import { pino } from 'pino';
import { directDialer, type Dialer } from '../../core/dialer.js';
import { UsageError } from '../../core/errors.js';
import { STS_RESOLVER_ANSWER_TIMEOUT_MS, STS_RESOLVER_REFRESH_AFTER_MS } from '../../core/limits.js';
import { DnsClient } from '../../dns/client.js';
import { parseServer, systemServers } from '../../dns/servers.js';
import type { Resolver } from '../../dns/types.js';
import { readConnectMap } from '../../lab/connect-map.js';
import { labDialer } from '../../lab/dialer.js';
import { startLab, type RunningLab } from '../../lab/lab.js';
import { answerFor, domainForKey, socketmapReply } from '../../mta/sts-resolver/answer.js';
import { PolicyCache } from '../../mta/sts-resolver/cache.js';
import { discover, type DiscoverySeams } from '../../mta/sts-resolver/discover.js';
import { StsResolver } from '../../mta/sts-resolver/resolver.js';
import { parseListen, startSocketmapServer } from '../../mta/sts-resolver/server.js';
import { EXIT } from '../exit-codes.js';
import { emit } from '../output.js';
import { collect, positiveNumber, readPemFile } from '../options.js';

interface NetFlags {
  resolver?: string[];
  ca?: string[];
  connectMap?: string;
  lab?: boolean;
}

interface ResolverFlags extends NetFlags {
  listen: string;
  cache: string;
  refreshAfter: number;
  answerTimeout: number;
  logLevel: string;
}

interface QueryFlags extends NetFlags {
  cache?: string;
  format: 'text' | 'json';
  out?: string;
}

const DEFAULT_CACHE = 'mta-sts-cache.sqlite';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'silent'];

function netOptions(cmd: Command): Command {
  return cmd
    .option(
      '--resolver <host[:port]>',
      'DNS resolver to ask (repeatable; default: the system resolvers)',
      collect,
    )
    .option('--ca <file>', 'extra trusted CA certificates (PEM) for policy hosts (repeatable)', collect)
    .option('--connect-map <file>', 'send connections elsewhere (from `mailcomply lab --export`)')
    .option('--lab', 'use the built-in lab (started in-process) for DNS and policy hosts');
}

/** The seams for discovery from the flags, starting the lab when asked; `close` releases them. */
async function openSeams(flags: NetFlags): Promise<{ seams: DiscoverySeams; close(): Promise<void> }> {
  if (flags.lab) {
    if (flags.resolver?.length || flags.connectMap)
      throw new UsageError(
        '--lab brings its own resolver and servers: leave out --resolver and --connect-map',
      );
    const lab: RunningLab = await startLab();
    const t = lab.transport!;
    return { seams: { resolver: lab.resolver, dialer: t.dialer, ca: [t.caPem] }, close: () => lab.close() };
  }
  const servers = flags.resolver?.length ? flags.resolver.map(parseServer) : systemServers();
  const resolver: Resolver & { close(): void } = new DnsClient({ servers });
  const dialer: Dialer = flags.connectMap ? labDialer(readConnectMap(flags.connectMap)) : directDialer;
  const seams: DiscoverySeams = {
    resolver,
    dialer,
    ...(flags.ca?.length ? { ca: flags.ca.map(readPemFile) } : {}),
  };
  return { seams, close: () => Promise.resolve(resolver.close()) };
}

export function registerMtaSts(program: Command): void {
  netOptions(
    program
      .command('mta-sts-resolver')
      .description('serve MTA-STS policies to Postfix as a socketmap (smtp_tls_policy_maps), until stopped')
      .requiredOption('--listen <address>', 'inet:HOST:PORT or unix:PATH (port 0: any free port)')
      .option('--cache <file>', 'SQLite policy cache, kept across restarts', DEFAULT_CACHE)
      .option(
        '--refresh-after <seconds>',
        'rediscover cached domains in the background after this long',
        positiveNumber(31_557_600),
        STS_RESOLVER_REFRESH_AFTER_MS / 1000,
      )
      .option(
        '--answer-timeout <ms>',
        'longest an uncached lookup waits before answering without a policy',
        positiveNumber(60_000),
        STS_RESOLVER_ANSWER_TIMEOUT_MS,
      )
      .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (JSON lines on stderr)`, 'info'),
  )
    .addHelpText(
      'after',
      '\nPostfix main.cf:\n  smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix\n\nExample:\n  mailcomply mta-sts-resolver --listen inet:127.0.0.1:8461 --cache /var/lib/mailcomply/mta-sts.sqlite',
    )
    .action(async (flags: ResolverFlags) => {
      process.exitCode = await runResolver(flags);
    });

  const sts = program.command('mta-sts').description('MTA-STS tools for mail administrators');
  netOptions(
    sts
      .command('query')
      .description("discover a domain's MTA-STS policy and DANE status, and show what the resolver answers")
      .argument('<domain>', 'recipient domain (or a Postfix next hop such as example.org:25)')
      .option('--cache <file>', 'use (and update) this policy cache, as the resolver would')
      .option('--format <format>', 'text or json', parseTextJson, 'text')
      .option('--out <file>', 'write the result to a file instead of stdout'),
  ).action(async (domain: string, flags: QueryFlags) => {
    process.exitCode = await runQuery(domain, flags);
  });
}

function parseTextJson(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new UsageError('--format: expected text or json');
  return value;
}

async function runResolver(flags: ResolverFlags): Promise<number> {
  if (!LOG_LEVELS.includes(flags.logLevel))
    throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}`);
  const listen = parseListen(flags.listen);
  const logger = pino({ level: flags.logLevel, base: null }, pino.destination(2));
  const net = await openSeams(flags);
  const cache = new PolicyCache(flags.cache);
  const resolver = new StsResolver({
    cache,
    seams: net.seams,
    refreshAfterMs: flags.refreshAfter * 1000,
    answerTimeoutMs: flags.answerTimeout,
    logger,
  });
  // Checked often enough that a due domain waits at most a tenth of the refresh age.
  resolver.startRefresher(Math.min(60_000, (flags.refreshAfter * 1000) / 10));
  const server = await startSocketmapServer({ listen, lookup: resolver, logger });
  logger.info(
    { address: server.address, cache: flags.cache, cached: cache.size },
    'mta-sts resolver listening',
  );
  process.stderr.write(`mailcomply mta-sts-resolver: listening on ${server.address}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  resolver.close();
  cache.close();
  await net.close();
  return EXIT.OK;
}

async function runQuery(key: string, flags: QueryFlags): Promise<number> {
  const domain = domainForKey(key);
  if (!domain) throw new UsageError(`${key}: not a domain MTA-STS applies to`);
  const net = await openSeams(flags);
  const cache = flags.cache ? new PolicyCache(flags.cache) : undefined;
  try {
    const now = Date.now();
    const d = await discover(domain, net.seams, now, cache?.get(domain));
    cache?.put(d.entry);
    const answer = answerFor(d.entry, now);
    const reply = socketmapReply(answer);
    const result = {
      schema: 1,
      domain,
      reply,
      answer,
      dane: d.entry.dane,
      policy: d.entry.policy ?? null,
      notes: d.notes,
    };
    emit(flags.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : queryText(result), flags.out);
    return EXIT.OK;
  } finally {
    cache?.close();
    await net.close();
  }
}

function queryText(r: {
  domain: string;
  reply: string;
  dane: string;
  policy: { id: string; mode: string; mx: string[]; maxAge: number; expiresAt: number } | null;
  notes: string[];
}): string {
  const lines = [`${r.domain}`, `  socketmap reply: ${r.reply.trim()}`];
  lines.push(
    `  DANE:            ${r.dane === 'all' ? 'every MX host' : r.dane === 'some' ? 'some MX hosts' : 'no'}`,
  );
  if (r.policy) {
    lines.push(
      `  MTA-STS policy:  id ${r.policy.id}, mode ${r.policy.mode}, max_age ${r.policy.maxAge}`,
      `  mx patterns:     ${r.policy.mx.join(', ') || '(none)'}`,
      `  cached until:    ${new Date(r.policy.expiresAt).toISOString()}`,
    );
  } else lines.push('  MTA-STS policy:  none');
  for (const n of r.notes) lines.push(`  - ${n}`);
  return `${lines.join('\n')}\n`;
}
