import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMapToJson } from '../../src/lab/connect-map.js';
import { createLabCa } from '../../src/lab/ca.js';
import { startLab, type RunningLab } from '../../src/lab/lab.js';
import { PolicyCache } from '../../src/mta/sts-resolver/cache.js';
import { STS_LAB_DOMAINS as D, stsLabScenario } from '../../src/mta/sts-resolver/lab-scenario.js';
import { findTool } from './daemon.js';
import { startDnsRelay, type DnsRelay } from './postfix-dns-relay.js';
import { holdLoopbackAddress, startPostfix, type HeldAddress, type PostfixInstance } from './postfix.js';

// A real Postfix sends through `smtp_tls_policy_maps = socketmap:...` to the resolver (the CLI, in
// its own process) and delivers to lab MX hosts: verified TLS to the domain whose enforce policy
// and certificate agree, deferral for the one whose MX certificate names another host.
//
// Routing: Postfix resolves MX records through the lab DNS (a port-53 relay, seen through a
// resolv.conf replaced in Postfix's own mount namespace). The lab's SMTP servers listen on random
// ports of 127.0.0.1, so each domain gets a transport entry `smtp:DOMAIN:PORT` (an MX lookup still
// happens: the MX name is what the certificate is checked against) and a forwarder on the MX
// address and that port leads to the lab server. The TLS policy lookup key is then `DOMAIN:PORT`,
// which the resolver maps back to DOMAIN.

const ADDRESS = '127.0.1.12';
const CLI = join(process.cwd(), 'dist/cli/main.js');
const WAIT_MS = 40_000;

let held: HeldAddress;
let lab: RunningLab;
let relay: DnsRelay;
let postfix: PostfixInstance;
let resolverProc: ChildProcess | undefined;
let socketmapPort = 0;
let dir: string;
const forwarders: Server[] = [];
const forwarded = new Set<Socket>();
const transportPorts = new Map<string, number>();

/** Listens on `address` (any port) and pipes each connection to 127.0.0.1:`to`. */
function forward(address: string, to: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: to });
      for (const s of [client, upstream]) {
        forwarded.add(s);
        s.on('close', () => forwarded.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.once('error', reject);
    server.listen(0, address, () => {
      forwarders.push(server);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Starts `mailcomply mta-sts-resolver` on a free port; resolves with the port it reports. */
function startResolver(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [CLI, 'mta-sts-resolver', '--listen', 'inet:127.0.0.1:0', '--cache', join(dir, 'sts.sqlite'), ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    const timer = setTimeout(() => reject(new Error(`resolver did not start: ${err}`)), 15_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on inet:127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`resolver exited (${code}): ${err}`));
    });
  });
}

async function stopResolver(): Promise<void> {
  const p = resolverProc;
  resolverProc = undefined;
  if (!p || p.exitCode !== null) return;
  const gone = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  await gone;
}

/** Postfix's own socketmap client: `postmap -q KEY socketmap:inet:127.0.0.1:PORT:postfix`. */
function postmapQuery(key: string, port: number): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      findTool('postmap'),
      ['-c', postfix.configDir, '-q', key, `socketmap:inet:127.0.0.1:${port}:postfix`],
      { timeout: 20_000, encoding: 'utf8' },
      (error, stdout, stderr) =>
        // stderr carries warnings (overridden main.cf entries); the answer is on stdout.
        resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout.trim(), err: stderr.trim() }),
    );
  });
}

async function waitForLog(pattern: RegExp): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const log = readFileSync(postfix.maillog, 'utf8');
    const m = pattern.exec(log);
    if (m) return m[0];
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the mail log:\n${postfix.logTail(30)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let tornDown: Promise<void> | undefined;
function teardown(): Promise<void> {
  tornDown ??= (async () => {
    await stopResolver();
    await postfix?.stop();
    await relay?.close();
    for (const s of forwarded) s.destroy();
    await Promise.all(forwarders.map((f) => new Promise((r) => f.close(r))));
    await lab?.close();
    await held?.release();
    if (dir) rmSync(dir, { recursive: true, force: true });
  })();
  return tornDown;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailcomply-sts-system-'));
  // Postfix daemons (user postfix) read the transport map and CA file from here.
  chmodSync(dir, 0o755);
  held = await holdLoopbackAddress(ADDRESS);
  lab = await startLab({ scenario: stsLabScenario() });
  const routes = lab.transport!.routes;
  for (const [domain, address] of [
    [D.enforce, '127.0.0.31'],
    [D.wrongName, '127.0.0.32'],
  ] as const) {
    const target = routes.get(address)?.get(25);
    if (!target) throw new Error(`the lab has no SMTP server for ${address}`);
    transportPorts.set(domain, await forward(address, target));
  }
  relay = await startDnsRelay({ host: lab.dns.host, port: lab.dns.port });

  writeFileSync(join(dir, 'ca.pem'), lab.transport!.caPem);
  writeFileSync(join(dir, 'connect-map.json'), JSON.stringify(connectMapToJson(routes)));
  const started = await startResolver([
    ...['--resolver', lab.address, '--ca', join(dir, 'ca.pem')],
    ...['--connect-map', join(dir, 'connect-map.json')],
  ]);
  resolverProc = started.proc;
  socketmapPort = started.port;

  writeFileSync(join(dir, 'resolv.conf'), `nameserver ${relay.address}\noptions timeout:2 attempts:2\n`);
  writeFileSync(
    join(dir, 'transport'),
    [...transportPorts].map(([domain, port]) => `${domain} smtp:${domain}:${port}`).join('\n') + '\n',
  );
  const ownCa = await createLabCa();
  const own = await ownCa.issue({ names: ['sender.sts-system.example'] });
  postfix = await startPostfix({
    address: ADDRESS,
    hostname: 'sender.sts-system.example',
    keyPem: own.keyPem,
    chainPem: own.chainPem,
    resolvConf: join(dir, 'resolv.conf'),
    extraMainCf: [
      'mynetworks = 127.0.0.0/8',
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      `transport_maps = texthash:${join(dir, 'transport')}`,
      `smtp_tls_policy_maps = socketmap:inet:127.0.0.1:${socketmapPort}:postfix`,
      `smtp_tls_CAfile = ${join(dir, 'ca.pem')}`,
      'smtp_tls_security_level = may',
      'smtp_tls_loglevel = 1',
      'smtp_host_lookup = dns',
      'smtp_connect_timeout = 5s',
    ],
  });
});

afterAll(() => teardown());

describe('mta-sts-resolver with a real Postfix', () => {
  it("answers Postfix's own socketmap client: secure for enforce, nothing for testing or no policy", async () => {
    const good = await postmapQuery(`${D.enforce}:${transportPorts.get(D.enforce)}`, socketmapPort);
    expect(good).toMatchObject({ code: 0, out: `secure match=.${D.enforce} servername=hostname` });
    expect((await postmapQuery(D.dane, socketmapPort)).out).toBe('dane-only');
    // postmap exits 1 for "not found".
    expect(await postmapQuery(D.testing, socketmapPort)).toMatchObject({ code: 1, out: '' });
    expect(await postmapQuery(D.absent, socketmapPort)).toMatchObject({ code: 1, out: '' });
    expect(await postmapQuery(`[mx.${D.enforce}]:25`, socketmapPort)).toMatchObject({ code: 1, out: '' });
  });

  it('delivers over verified TLS to the enforce domain and defers mail to the wrong-name MX', async () => {
    const smtp = nodemailer.createTransport({
      host: ADDRESS,
      port: postfix.port,
      secure: false,
      ignoreTLS: true,
    });
    try {
      for (const domain of [D.enforce, D.wrongName]) {
        await smtp.sendMail({
          from: 'sender@sts-system.example',
          to: `postmaster@${domain}`,
          subject: `MTA-STS ${domain}`,
          text: 'test message\n',
        });
      }
    } finally {
      smtp.close();
    }
    const verified = await waitForLog(
      new RegExp(
        `Verified TLS connection established to mx\\.${D.enforce.replace('.', '\\.')}\\[127\\.0\\.0\\.31\\]`,
      ),
    );
    expect(verified).toContain('Verified');
    const sent = await waitForLog(
      new RegExp(`to=<postmaster@${D.enforce.replace('.', '\\.')}>.*status=sent.*`),
    );
    expect(sent).toMatch(/relay=mx\.sts-good\.example\[127\.0\.0\.31\]/);
    const deferred = await waitForLog(
      new RegExp(`to=<postmaster@${D.wrongName.replace('.', '\\.')}>.*status=deferred.*`),
    );
    // Without the policy map (level may) this mail would have gone out over the untrusted connection.
    expect(deferred).toMatch(/dsn=4\.7\.5, status=deferred \(Server certificate not verified\)/);
    expect(
      await waitForLog(/server certificate verification failed for mx\.sts-badname\.example.*/),
    ).toContain('hostname mismatch');
    const log = readFileSync(postfix.maillog, 'utf8');
    expect(log).not.toMatch(new RegExp(`to=<postmaster@${D.wrongName.replace('.', '\\.')}>.*status=sent`));
  });

  it('keeps the policies in the SQLite cache and answers from it after a restart without DNS', async () => {
    await stopResolver();
    const cache = new PolicyCache(join(dir, 'sts.sqlite'));
    try {
      expect(cache.get(D.enforce)?.policy?.mode).toBe('enforce');
      expect(cache.get(D.wrongName)?.policy?.mode).toBe('enforce');
    } finally {
      cache.close();
    }
    // Port 9 (discard) has no DNS server: any answer must come from the cache.
    const again = await startResolver(['--resolver', '127.0.0.1:9']);
    resolverProc = again.proc;
    const started = Date.now();
    expect((await postmapQuery(D.enforce, again.port)).out).toBe(
      `secure match=.${D.enforce} servername=hostname`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops Postfix, the resolver, the relay and the lab', async () => {
    const configDir = postfix.configDir;
    await teardown();
    expect(resolverProc).toBeUndefined();
    const { postfixPids } = await import('./postfix.js');
    expect(postfixPids({ configDir })).toEqual([]);
  });
});
