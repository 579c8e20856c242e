import { execFile } from 'node:child_process';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findTool } from './daemon.js';

/** Both streams of a finished tool, and its exit code. */
export interface ToolRun {
  code: number;
  output: string;
}

function runWith(
  tool: string,
  args: string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      findTool(tool),
      args,
      { cwd: o.cwd, env: o.env ?? process.env, timeout: o.timeoutMs ?? 30_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && (err.killed || typeof err.code !== 'number')) {
          reject(new Error(`${tool} did not finish: ${err.message}`));
        } else resolve({ code: err ? (err.code as number) : 0, output: `${stdout}${stderr}` });
      },
    );
    // No input: openssl s_client would otherwise wait on stdin for something to send.
    child.stdin?.end();
  });
}

/**
 * Writes a Postfix configuration file with a modification time in the past: a Postfix program that
 * finds main.cf changed within the last couple of seconds waits for it to settle, which would add
 * about two seconds to every run.
 */
export async function writeBackdated(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  const past = new Date(Date.now() - 60_000);
  await utimes(path, past, past);
}

/** What posttls-finger concluded about one destination at security level `dane`. */
export interface FingerVerdict extends ToolRun {
  /** "Verified TLS connection established": the chain matched an authenticated TLSA record. */
  verified: boolean;
  /** The `u s m data` of the record Postfix matched, lower-case, when it says which. */
  matchedRecord?: string;
}

/**
 * Runs Postfix's own DANE client against `destination` (`domain:port`: MX lookup, then TLSA at
 * `_<port>._tcp.<mx>`), resolving through `resolverAddress` port 53. The libc resolver only reads
 * /etc/resolv.conf, so the tool runs in a private mount namespace where that file is replaced: the
 * machine's own resolver configuration is never touched. Needs root (unshare, mount).
 */
export async function posttlsFinger(
  workDir: string,
  resolverAddress: string,
  destination: string,
): Promise<FingerVerdict> {
  const dir = join(workDir, 'posttls-finger');
  await mkdir(dir, { recursive: true });
  const resolvConf = join(dir, 'resolv.conf');
  // trust-ad: glibc clears the AD bit of answers unless told the resolver is trusted.
  await writeFile(resolvConf, `nameserver ${resolverAddress}\noptions trust-ad edns0 timeout:2 attempts:2\n`);
  // Its own main.cf: DNSSEC-aware lookups, IPv4 only (the MX has an A record only).
  await writeBackdated(
    join(dir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      'inet_protocols = ipv4',
      'smtp_dns_support_level = dnssec',
      'smtp_host_lookup = dns',
      '',
    ].join('\n'),
  );
  const run = await runWith(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$0" /etc/resolv.conf && exec "$@"',
      resolvConf,
      findTool('posttls-finger'),
      '-c',
      '-l',
      'dane',
      '-t',
      '10',
      '-T',
      '10',
      destination,
    ],
    { cwd: dir, env: { ...process.env, MAIL_CONFIG: dir } },
  );
  const matched = /Matched DANE (?:EE|TA) certificate at depth \d+: (\d \d \d [0-9A-Fa-f]+)/.exec(run.output);
  return {
    ...run,
    verified: /Verified TLS connection established/.test(run.output),
    ...(matched?.[1] ? { matchedRecord: matched[1].toLowerCase() } : {}),
  };
}

/** The certificates a STARTTLS server presents, leaf first, as PEM blocks, seen by `openssl s_client`. */
export async function servedChain(
  workDir: string,
  address: string,
  port: number,
  serverName: string,
): Promise<string[]> {
  const run = await runWith(
    'openssl',
    [
      's_client',
      '-starttls',
      'smtp',
      '-connect',
      `${address}:${port}`,
      '-servername',
      serverName,
      '-showcerts',
    ],
    { cwd: workDir, timeoutMs: 15_000 },
  );
  return run.output.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** What `ldns-dane verify` concluded for a certificate chain file. */
export interface LdnsDaneVerdict extends ToolRun {
  /** "dane-validated successfully". */
  validated: boolean;
}

/**
 * `ldns-dane -r <resolver> -c <chain> verify <host> 25`: looks up `_25._tcp.<host>` TLSA itself
 * through the resolver (port 53) and matches it against the chain file. ldns-dane has no STARTTLS,
 * so the chain comes from the server by other means (servedChain).
 */
export async function ldnsDaneVerify(
  workDir: string,
  resolverAddress: string,
  host: string,
  chainFile: string,
): Promise<LdnsDaneVerdict> {
  const run = await runWith('ldns-dane', ['-r', resolverAddress, '-c', chainFile, 'verify', host, '25'], {
    cwd: workDir,
  });
  return { ...run, validated: run.code === 0 && /dane-validated successfully/.test(run.output) };
}
