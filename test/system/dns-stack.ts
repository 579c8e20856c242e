import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Daemon } from './daemon.js';
import { runTool, startDaemon, waitUntil } from './daemon.js';
import { freeLoopbackPort } from './ports.js';
import type { Endpoint } from './raw-query.js';
import { rawQuery } from './raw-query.js';
import type { ScenarioZone } from './zones.js';
import { renderZoneFile } from './zones.js';

/** How a zone is served: signed with current signatures, signed with expired ones (bogus), or unsigned. */
export type Signing = 'valid' | 'expired' | 'none';

/** A zone for the stack: scenario records plus how to sign them. */
export interface StackZone {
  name: string;
  records: string;
  signing: Signing;
}

/** The DS record of a signed zone's KSK, used as unbound's trust anchor. */
export interface TrustAnchor {
  zone: string;
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: string;
}

/** A running NSD + unbound pair on loopback ports, serving the given zones. */
export interface DnsStack {
  /** unbound: recursive, validating; the address to give the scanner. */
  resolver: Endpoint;
  /** NSD: authoritative for every zone. */
  authoritative: Endpoint;
  /** Scratch directory with configs, zone files, keys and logs; removed by close(). */
  dir: string;
  /** Trust anchors by zone name (signed zones only, bogus ones included). */
  anchors: Map<string, TrustAnchor>;
  /** Paths of the master files NSD loaded, by zone name. */
  zoneFiles: Map<string, string>;
  nsd: Daemon;
  unbound: Daemon;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const DIR_PREFIX = 'mailcomply-dns-stack-';
const START_ATTEMPTS = 3;
const HOUR = 3600;
const DAY = 24 * HOUR;

/** Converts a scenario zone (lab format) to a stack zone. */
export function fromScenario(zone: ScenarioZone): StackZone {
  return { name: zone.name, records: zone.records, signing: zone.signed ? 'valid' : 'none' };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops servers left by an earlier run that died without tearing down (killed runner), so a rerun
 * starts clean. Only pids recorded in our own scratch directories, and only while their command line
 * still names that directory (a recycled pid belongs to someone else).
 */
function sweepStale(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const owner = Number(readText(join(dir, 'owner.pid')));
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) continue;
    for (const file of ['nsd.child.pid', 'unbound.child.pid']) {
      const pid = Number(readText(join(dir, file)));
      if (!Number.isInteger(pid) || pid <= 0) continue;
      if (readText(`/proc/${pid}/cmdline`).includes(dir)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function parseDs(zone: string, text: string): TrustAnchor {
  // ldns-key2ds: "<owner> <ttl> IN DS <tag> <alg> <digest type> <digest>"
  const tokens = text.trim().split(/\s+/);
  const ds = tokens.indexOf('DS');
  if (ds < 0 || tokens.length < ds + 5) throw new Error(`unexpected ldns-key2ds output for ${zone}`);
  return {
    zone,
    keyTag: Number(tokens[ds + 1]),
    algorithm: Number(tokens[ds + 2]),
    digestType: Number(tokens[ds + 3]),
    digest: tokens
      .slice(ds + 4)
      .join('')
      .toLowerCase(),
  };
}

/** The anchor as unbound's `trust-anchor:` and a DS record line. */
export function dsLine(a: TrustAnchor): string {
  return `${a.zone}. IN DS ${a.keyTag} ${a.algorithm} ${a.digestType} ${a.digest}`;
}

async function signZone(dir: string, zone: StackZone, file: string, nowSec: number): Promise<TrustAnchor> {
  const keygen = (ksk: boolean): Promise<string> =>
    runTool(
      'ldns-keygen',
      ['-r', '/dev/urandom', '-a', 'ECDSAP256SHA256', ...(ksk ? ['-k'] : []), zone.name],
      dir,
    ).then((out) => out.trim());
  const ksk = await keygen(true);
  const zsk = await keygen(false);
  const anchor = parseDs(zone.name, await runTool('ldns-key2ds', ['-n', '-2', `${ksk}.key`], dir));
  // Signatures are made now, for now: a committed signed zone would expire and fail later runs.
  const [inception, expiration] =
    zone.signing === 'valid' ? [nowSec - HOUR, nowSec + DAY] : [nowSec - 10 * DAY, nowSec - DAY];
  await runTool(
    'ldns-signzone',
    ['-i', String(inception), '-e', String(expiration), '-f', `${file}.signed`, file, ksk, zsk],
    dir,
  );
  return anchor;
}

function nsdConfig(dir: string, port: number, zones: Map<string, string>): string {
  const lines = [
    'server:',
    `  ip-address: ${HOST}`,
    `  port: ${port}`,
    '  do-ip6: no',
    // Run as the invoking user, inside the scratch dir: no system paths, no privilege drop.
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${dir}"`,
    '  database: ""',
    `  pidfile: "${dir}/nsd.pid"`,
    `  xfrdfile: "${dir}/nsd-xfrd.state"`,
    `  xfrdir: "${dir}"`,
    `  zonelistfile: "${dir}/nsd-zone.list"`,
    '  server-count: 1',
    '  verbosity: 1',
    'remote-control:',
    '  control-enable: no',
  ];
  for (const [name, file] of zones) lines.push('zone:', `  name: "${name}"`, `  zonefile: "${file}"`);
  return `${lines.join('\n')}\n`;
}

function unboundConfig(
  dir: string,
  port: number,
  nsd: number,
  zones: StackZone[],
  anchors: Map<string, TrustAnchor>,
): string {
  const lines = [
    'server:',
    `  interface: ${HOST}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${dir}/unbound.pid"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  val-log-level: 2',
    '  num-threads: 1',
    '  so-reuseport: no',
    // NSD is on loopback; unbound skips such servers unless told otherwise.
    '  do-not-query-localhost: no',
    '  module-config: "validator iterator"',
    // No root in this setup: nothing to signal to, and no key sentinel queries to the root.
    '  root-key-sentinel: no',
    '  trust-anchor-signaling: no',
    // Anything outside the test zones is refused locally, so no query ever leaves the machine.
    '  local-zone: "." refuse',
  ];
  for (const z of zones) lines.push(`  local-zone: "${z.name}." transparent`);
  for (const a of anchors.values()) lines.push(`  trust-anchor: "${dsLine(a)}"`);
  for (const z of zones) if (z.signing === 'none') lines.push(`  domain-insecure: "${z.name}."`);
  lines.push('remote-control:', '  control-enable: no');
  for (const z of zones) lines.push('stub-zone:', `  name: "${z.name}."`, `  stub-addr: ${HOST}@${nsd}`);
  return `${lines.join('\n')}\n`;
}

function looksLikeBindFailure(log: string): boolean {
  return /address already in use|can't bind|could not bind|cannot bind/i.test(log);
}

/**
 * Starts `start(port)` on a fresh port; if the daemon lost the race for the port, tries another one.
 * Any other failure is reported at once with the daemon's log.
 */
async function startOnFreePort(
  taken: Set<number>,
  start: (port: number) => Promise<Daemon>,
): Promise<{ daemon: Daemon; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freeLoopbackPort(HOST, taken);
    try {
      const daemon = await start(port);
      taken.add(port);
      return { daemon, port };
    } catch (err) {
      lastError = err;
      if (!looksLikeBindFailure(String(err))) throw err;
    }
  }
  throw lastError;
}

/**
 * Builds and starts a real DNS stack in a fresh temp dir: zone files from scenario records, keys and
 * signatures from ldns, NSD as the authoritative server and unbound as the validating resolver with
 * the signed zones' DS as trust anchors. Resolves once both answer; call close() when done.
 */
export async function startDnsStack(zones: StackZone[]): Promise<DnsStack> {
  if (zones.length === 0) throw new Error('startDnsStack: no zones');
  sweepStale();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(dir, 'owner.pid'), `${process.pid}\n`);
  const started: Daemon[] = [];
  const close = async (): Promise<void> => {
    for (const d of started.reverse()) await d.stop();
    if (!process.env.MAILCOMPLY_KEEP_DNS_STACK) await rm(dir, { recursive: true, force: true });
  };
  try {
    const nowSec = Math.floor(Date.now() / 1000);
    const anchors = new Map<string, TrustAnchor>();
    const zoneFiles = new Map<string, string>();
    for (const zone of zones) {
      const file = `${zone.name}.zone`;
      await writeFile(join(dir, file), renderZoneFile(zone, { nsAddress: HOST, serial: nowSec }));
      if (zone.signing === 'none') {
        zoneFiles.set(zone.name, join(dir, file));
      } else {
        anchors.set(zone.name, await signZone(dir, zone, file, nowSec));
        zoneFiles.set(zone.name, join(dir, `${file}.signed`));
      }
    }

    const taken = new Set<number>();
    const nsd = await startOnFreePort(taken, async (port) => {
      const conf = join(dir, 'nsd.conf');
      await writeFile(conf, nsdConfig(dir, port, zoneFiles));
      const d = startDaemon('nsd', 'nsd', ['-d', '-c', conf], dir, join(dir, `nsd-${port}.log`));
      started.push(d);
      await writeFile(join(dir, 'nsd.child.pid'), `${d.pid}\n`);
      const server = { host: HOST, port };
      for (const zone of zones) {
        await waitUntil(
          `${zone.name} served`,
          async () => {
            const r = await rawQuery(server, zone.name, 'SOA', { recursion: false, timeoutMs: 300 });
            return r.aa && r.rcode === 'NOERROR';
          },
          d,
        );
      }
      return d;
    });

    const unbound = await startOnFreePort(taken, async (port) => {
      const conf = join(dir, 'unbound.conf');
      await writeFile(conf, unboundConfig(dir, port, nsd.port, zones, anchors));
      const d = startDaemon('unbound', 'unbound', ['-d', '-c', conf], dir, join(dir, `unbound-${port}.log`));
      started.push(d);
      await writeFile(join(dir, 'unbound.child.pid'), `${d.pid}\n`);
      // Any answer means it listens; whether it validates is for the tests to say.
      await waitUntil(
        'answering',
        async () => {
          await rawQuery({ host: HOST, port }, zones[0]?.name ?? '.', 'SOA', { timeoutMs: 500 });
          return true;
        },
        d,
      );
      return d;
    });

    return {
      resolver: { host: HOST, port: unbound.port },
      authoritative: { host: HOST, port: nsd.port },
      dir,
      anchors,
      zoneFiles,
      nsd: nsd.daemon,
      unbound: unbound.daemon,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Whether a scratch directory of a stack still exists (teardown checks). */
export function stackDirExists(stack: Pick<DnsStack, 'dir'>): boolean {
  return existsSync(stack.dir);
}
