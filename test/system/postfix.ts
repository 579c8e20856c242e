import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from './daemon.js';
import { freeLoopbackPort } from './ports.js';
import { writeBackdated } from './postfix-tools.js';

/** What the private Postfix instance serves. */
export interface PostfixOptions {
  /** A loopback address it listens on; it must be carried by an interface (see holdLoopbackAddress). */
  address: string;
  /** myhostname: the banner and EHLO name. */
  hostname: string;
  /** PEM private key and the chain to serve (leaf first). */
  keyPem: string;
  chainPem: string;
  /** main.cf lines appended after the defaults (a later line overrides an earlier one), e.g. smtpd_milters. */
  extraMainCf?: string[];
  /** A resolv.conf the instance reads instead of /etc/resolv.conf (private mount namespace; needs root). */
  resolvConf?: string;
}

/** A running private Postfix: `postfix -c <dir>/conf`, its queue and data under the same scratch dir. */
export interface PostfixInstance {
  address: string;
  port: number;
  /** Scratch directory; removed by stop(). */
  dir: string;
  configDir: string;
  maillog: string;
  /** The last lines of the mail log, for failure messages. */
  logTail(lines?: number): string;
  /** `postfix stop`, then SIGKILL to anything still running with this configuration; removes the dir. */
  stop(): Promise<void>;
}

const DIR_PREFIX = 'mailcomply-postfix-';
const ADDRESS_MARKER_PREFIX = 'mailcomply-lo-address-';
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

function run(tool: string, args: string[], timeoutMs = 30_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(findTool(tool), args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && (err.killed || typeof err.code !== 'number')) {
        reject(new Error(`${tool} ${args.join(' ')} did not finish: ${err.message}`));
      } else resolve({ code: err ? (err.code as number) : 0, out: `${stdout}${stderr}`.trim() });
    });
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
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
 * Pids of every process started with this configuration directory. Postfix passes MAIL_CONFIG to the
 * master and on to each daemon it spawns, so the environment names them all, however they were forked.
 */
function pidsUsingConfig(configDir: string): number[] {
  const wanted = `MAIL_CONFIG=${configDir}`;
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (env.split('\0').includes(wanted)) out.push(Number(entry));
  }
  return out.filter((pid) => pid !== process.pid);
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Whether `lo` (or any interface) carries this IPv4 address. */
async function addressPresent(address: string): Promise<boolean> {
  const { out } = await run('ip', ['-4', '-o', 'addr', 'show']);
  return out.split('\n').some((line) => line.includes(` inet ${address}/`));
}

/** A loopback address held for a test run. */
export interface HeldAddress {
  address: string;
  /** Whether this run added it (and release() removes it); false when it was already there. */
  added: boolean;
  release(): Promise<void>;
}

/**
 * Makes sure `lo` carries `address` (Postfix refuses inet_interfaces no interface has). release()
 * removes the address only if this call added it, so an address someone else set up stays. Needs
 * root (CAP_NET_ADMIN).
 */
export async function holdLoopbackAddress(address: string): Promise<HeldAddress> {
  if (!address.startsWith('127.')) throw new Error(`refusing to add non-loopback address ${address}`);
  // Records who added the address, so a run killed before its release is cleaned up by the next one.
  const marker = join(tmpdir(), `${ADDRESS_MARKER_PREFIX}${address}`);
  const owner = Number(readText(marker));
  const staleOwner = Number.isInteger(owner) && owner > 0 && owner !== process.pid && !processAlive(owner);
  const held = (added: boolean): HeldAddress => {
    let released = false;
    return {
      address,
      added,
      async release() {
        if (released || !added) return;
        released = true;
        await run('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']);
        await rm(marker, { force: true });
      },
    };
  };
  if (await addressPresent(address)) {
    if (!staleOwner) return held(false);
    await writeFile(marker, `${process.pid}\n`);
    return held(true);
  }
  const added = await run('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
  if (added.code !== 0) {
    // Lost a race with another run: the address is there, and that run will remove it.
    if (/exists/i.test(added.out) && (await addressPresent(address))) return held(false);
    throw new Error(`ip addr add ${address}/32 dev lo failed (root needed): ${added.out}`);
  }
  await writeFile(marker, `${process.pid}\n`);
  return held(true);
}

/** Whether `lo` carries the address (teardown checks). */
export function loopbackAddressPresent(address: string): Promise<boolean> {
  return addressPresent(address);
}

/**
 * Stops instances left by an earlier run that died before its afterAll (killed runner): only those
 * whose scratch dir names a dead owner, found by the MAIL_CONFIG in their environment.
 */
function sweepStale(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const owner = Number(readText(join(dir, 'owner.pid')));
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) continue;
    killAll(pidsUsingConfig(join(dir, 'conf')));
    rmSync(dir, { recursive: true, force: true });
  }
}

function mainCf(dir: string, o: PostfixOptions): string {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    // Created by postfix-script with the ownership it wants; a dir made here would belong to root.
    `data_directory = ${dir}/data`,
    `myhostname = ${o.hostname}`,
    'mydestination =',
    // The probe connects from the test address, so it is an outside client, not a trusted network.
    'mynetworks = 127.0.0.1/32',
    `inet_interfaces = ${o.address}`,
    'inet_protocols = ipv4',
    // Nothing this instance accepts is ever delivered anywhere.
    'default_transport = error',
    'local_transport = error',
    'smtpd_relay_restrictions = reject_unauth_destination',
    'alias_maps =',
    'alias_database =',
    // No version in the banner: the scanner's smtp.banner must pass on a stock-but-careful setup.
    'smtpd_banner = $myhostname ESMTP',
    'disable_vrfy_command = yes',
    'smtpd_tls_security_level = may',
    `smtpd_tls_chain_files = ${dir}/conf/key.pem, ${dir}/conf/chain.pem`,
    'smtpd_tls_loglevel = 1',
    // No syslog daemon here: postlogd writes the log into the scratch dir.
    `maillog_file_prefixes = ${dir}`,
    `maillog_file = ${dir}/maillog`,
    ...(o.extraMainCf ?? []),
    '',
  ].join('\n');
}

// chroot is off everywhere: the queue lives in a temp dir without the files a chroot would need.
const MASTER_SERVICES = [
  'pickup    unix  n       -       n       60      1       pickup',
  'cleanup   unix  n       -       n       -       0       cleanup',
  'qmgr      unix  n       -       n       300     1       qmgr',
  'tlsmgr    unix  -       -       n       1000?   1       tlsmgr',
  'rewrite   unix  -       -       n       -       -       trivial-rewrite',
  'bounce    unix  -       -       n       -       0       bounce',
  'defer     unix  -       -       n       -       0       bounce',
  'trace     unix  -       -       n       -       0       bounce',
  'verify    unix  -       -       n       -       1       verify',
  'flush     unix  n       -       n       1000?   0       flush',
  'proxymap  unix  -       -       n       -       -       proxymap',
  'smtp      unix  -       -       n       -       -       smtp',
  'relay     unix  -       -       n       -       -       smtp',
  'showq     unix  n       -       n       -       -       showq',
  'error     unix  -       -       n       -       -       error',
  'retry     unix  -       -       n       -       -       error',
  'discard   unix  -       -       n       -       -       discard',
  'anvil     unix  -       -       n       -       1       anvil',
  'scache    unix  -       -       n       -       1       scache',
  'postlog   unix-dgram n  -       n       -       1       postlogd',
];

function masterCf(address: string, port: number): string {
  return [`${address}:${port} inet n - n - - smtpd`, ...MASTER_SERVICES, ''].join('\n');
}

/** Resolves once a connection gets the 220 banner, i.e. smtpd really answers. */
function bannerSeen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    let text = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\n')) done(text.startsWith('220 '));
    });
  });
}

function tail(file: string, lines: number): string {
  return readText(file).split('\n').slice(-lines).join('\n') || '(empty mail log)';
}

async function waitReady(
  address: string,
  port: number,
  maillog: string,
  masterPid: () => number,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await bannerSeen(address, port)) return;
    const pid = masterPid();
    if (pid > 0 && !processAlive(pid)) throw new Error(`postfix master exited:\n${tail(maillog, 15)}`);
    if (/fatal:/.test(readText(maillog))) throw new Error(`postfix failed:\n${tail(maillog, 15)}`);
    if (Date.now() > deadline)
      throw new Error(`postfix did not answer on ${address}:${port}:\n${tail(maillog, 15)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!pids.some(processAlive)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopInstance(dir: string, configDir: string): Promise<void> {
  // Taken first: a process that is exiting can no longer be found by its environment.
  const pids = pidsUsingConfig(configDir);
  await run('postfix', ['-c', configDir, 'stop']).catch(() => undefined);
  if (!(await waitGone(pids, STOP_TIMEOUT_MS))) {
    // Whatever outlived `postfix stop` (a daemon mid-session) goes now.
    killAll([...pids, ...pidsUsingConfig(configDir)]);
    await waitGone(pids, STOP_TIMEOUT_MS);
  }
  killAll(pidsUsingConfig(configDir));
  if (!process.env.MAILCOMPLY_KEEP_POSTFIX) await rm(dir, { recursive: true, force: true });
}

/**
 * Starts a private Postfix instance (`postfix -c DIR start`) with smtpd on a free port of
 * `o.address`, STARTTLS with the given key and chain, nothing ever delivered. Needs root and the
 * Debian postfix package (test/system/setup.sh); call stop() when done.
 */
export async function startPostfix(o: PostfixOptions): Promise<PostfixInstance> {
  sweepStale();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  // The daemons drop to the postfix user and must be able to reach the queue inside this dir.
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'owner.pid'), `${process.pid}\n`);
  const configDir = join(dir, 'conf');
  const maillog = join(dir, 'maillog');
  const masterPid = () => Number(readText(join(dir, 'queue', 'pid', 'master.pid'))) || -1;
  try {
    await mkdir(configDir, { mode: 0o755 });
    // postfix-script fills the queue dir with its subdirectories but does not create the dir itself.
    await mkdir(join(dir, 'queue'), { mode: 0o755 });
    await writeFile(join(configDir, 'key.pem'), o.keyPem, { mode: 0o600 });
    await writeFile(join(configDir, 'chain.pem'), o.chainPem);
    await writeBackdated(join(configDir, 'main.cf'), mainCf(dir, o));
    let lastError: unknown;
    const taken = new Set<number>();
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const port = await freeLoopbackPort(o.address, taken);
      taken.add(port);
      await writeBackdated(join(configDir, 'master.cf'), masterCf(o.address, port));
      await writeFile(maillog, '');
      // The master and every daemon it forks stay in the namespace where the file is replaced.
      const started = o.resolvConf
        ? await run('unshare', [
            ...['--mount', '--propagation', 'private', 'sh', '-c'],
            ...['mount --bind "$0" /etc/resolv.conf && exec "$@"', o.resolvConf],
            ...[findTool('postfix'), '-c', configDir, 'start'],
          ])
        : await run('postfix', ['-c', configDir, 'start']);
      try {
        if (started.code !== 0)
          throw new Error(`postfix start failed (${started.code}):\n${tail(maillog, 15)}`);
        await waitReady(o.address, port, maillog, masterPid);
        return {
          address: o.address,
          port,
          dir,
          configDir,
          maillog,
          logTail: (lines = 15) => tail(maillog, lines),
          stop: () => stopInstance(dir, configDir),
        };
      } catch (err) {
        lastError = err;
        await run('postfix', ['-c', configDir, 'stop']).catch(() => undefined);
        killAll(pidsUsingConfig(configDir));
        // Only a lost race for the port is worth another port; anything else is a real failure.
        if (!/address already in use|bind/i.test(await readFile(maillog, 'utf8').catch(() => ''))) throw err;
      }
    }
    throw lastError;
  } catch (err) {
    await stopInstance(dir, configDir);
    throw err;
  }
}

/** Whether a Postfix scratch directory still exists (teardown checks). */
export function postfixDirExists(p: Pick<PostfixInstance, 'dir'>): boolean {
  return existsSync(p.dir);
}

/** Pids still running with this instance's configuration (teardown checks). */
export function postfixPids(p: Pick<PostfixInstance, 'configDir'>): number[] {
  return pidsUsingConfig(p.configDir);
}
