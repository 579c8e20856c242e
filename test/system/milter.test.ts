import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabCa } from '../../src/lab/ca.js';
import { parseHeaderBlock, findHeaderEnd, type HeaderField } from '../../src/message/header-fields.js';
import { DEFAULT_POLICY_YAML } from '../../src/message/policy.js';
import { pseudonym } from '../../src/message/pseudonym.js';
import type { HeldAddress, PostfixInstance } from './postfix.js';
import { holdLoopbackAddress, postfixDirExists, postfixPids, startPostfix } from './postfix.js';

// A real Postfix with `smtpd_milters` pointing at `mailcomply milter` (the built CLI): a submitted
// message must reach the next hop (a loopback SMTP sink) with its header sanitised per policy and
// its body and DKIM-relevant fields byte for byte as sent.

const ADDRESS = '127.0.1.51';
const KEY = Buffer.from('0123456789abcdef0123456789abcdef');

const BODY = [
  'Hello Bob,',
  '',
  'the figures are attached. Received: from inside.lan [10.0.0.1] stays in the body.',
  '.leading dot, trailing space ',
  '',
].join('\r\n');

/** As a mail client behind the organisation's submission relay would hand it over. */
const HEADER = [
  'Received: from pc17.corp.example (pc17.lan [192.168.1.17])',
  '\tby relay.corp.example (Postfix) with ESMTPSA id 4Q2;',
  '\tMon, 2 Nov 2026 10:00:00 +0100',
  'Received: from gw.example.net (gw.example.net [198.51.100.2])',
  '\tby relay.corp.example with ESMTP; Mon, 2 Nov 2026 09:59:59 +0100',
  'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;',
  '\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;',
  '\tb=dGVzdHNpZ25hdHVyZQ==',
  'From: Alice Example <alice@example.org>',
  'To: Bob <bob@example.net>',
  'Subject: Quarterly figures',
  'Date: Mon, 2 Nov 2026 10:00:00 +0100',
  'Message-ID: <20261102.1@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'X-Originating-IP: [192.168.1.17]',
  'User-Agent: Mozilla Thunderbird 128.3.0',
  'X-Employee-ID: E-4711',
  '',
].join('\r\n');

const MESSAGE = `${HEADER}\r\n${BODY}`;

let held: HeldAddress | undefined;
let postfix: PostfixInstance | undefined;
let milter: ChildProcess | undefined;
let sink: SMTPServer | undefined;
let dir: string | undefined;
const delivered: Buffer[] = [];
let waiter: (() => void) | undefined;

function startSink(): Promise<number> {
  sink = new SMTPServer({
    name: 'sink.test',
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        delivered.push(Buffer.concat(chunks));
        waiter?.();
        done();
      });
    },
  });
  return new Promise((resolve, reject) => {
    sink!.server.once('error', reject);
    sink!.listen(0, '127.0.0.1', () => {
      const a = sink!.server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

function startMilter(policy: string, keyFile: string): Promise<number> {
  const child = spawn(
    process.execPath,
    ['dist/cli/main.js', 'milter', '--listen', 'inet:127.0.0.1:0', '--policy', policy, '--key-file', keyFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  milter = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on inet:127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`mailcomply milter exited (${code}): ${stderr}`)));
  });
}

function waitDelivered(timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (delivered.length > 0) {
        clearTimeout(timer);
        waiter = undefined;
        resolve(delivered[0]!);
      }
    };
    const timer = setTimeout(
      () => reject(new Error(`nothing delivered to the sink:\n${postfix?.logTail(20)}`)),
      timeoutMs,
    );
    waiter = check;
    check();
  });
}

function split(raw: Buffer): { fields: HeaderField[]; body: Buffer } {
  const end = findHeaderEnd(raw);
  expect(end).toBeGreaterThan(0);
  return {
    fields: parseHeaderBlock(raw.subarray(0, end).toString('latin1')).fields,
    body: raw.subarray(end),
  };
}

const all = (fields: HeaderField[], name: string) =>
  fields.filter((f) => f.name.toLowerCase() === name.toLowerCase()).map((f) => f.value);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailcomply-milter-'));
  const policy = join(dir, 'policy.yaml');
  const keyFile = join(dir, 'key');
  // The shipped default plus a pseudonymised field, so the keyed rule is exercised through Postfix.
  await writeFile(
    policy,
    DEFAULT_POLICY_YAML.replace('headers:\n', 'headers:\n  X-Employee-ID: pseudonymise\n'),
  );
  await writeFile(keyFile, KEY, { mode: 0o600 });
  const [sinkPort, milterPort] = await Promise.all([startSink(), startMilter(policy, keyFile)]);
  held = await holdLoopbackAddress(ADDRESS);
  const ca = await createLabCa();
  const cert = await ca.issue({ names: ['submit.milter.example'] });
  postfix = await startPostfix({
    address: ADDRESS,
    hostname: 'submit.milter.example',
    keyPem: cert.keyPem,
    chainPem: cert.chainPem,
    extraMainCf: [
      `smtpd_milters = inet:127.0.0.1:${milterPort}`,
      'milter_default_action = tempfail',
      'milter_protocol = 6',
      // The submitting client connects from the test address: a trusted network may relay.
      'mynetworks = 127.0.0.0/8',
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      `relayhost = [127.0.0.1]:${sinkPort}`,
      'default_transport = smtp',
      'smtp_tls_security_level = none',
    ],
  });
}, 120_000);

afterAll(async () => {
  const pf = postfix;
  await postfix?.stop();
  await held?.release();
  if (milter && milter.exitCode === null) {
    const exited = new Promise((resolve) => milter!.once('exit', resolve));
    milter.kill('SIGTERM');
    await exited;
  }
  await new Promise<void>((resolve) => sink?.close(() => resolve()) ?? resolve());
  if (dir) await rm(dir, { recursive: true, force: true });
  if (pf) {
    expect(postfixPids(pf)).toEqual([]);
    expect(postfixDirExists(pf)).toBe(false);
  }
});

describe('mailcomply milter behind Postfix', () => {
  it('delivers the message with its header sanitised and its body untouched', async () => {
    const transport = nodemailer.createTransport({
      host: ADDRESS,
      port: postfix!.port,
      secure: false,
      ignoreTLS: true,
      name: 'client.milter.example',
    });
    await transport.sendMail({
      envelope: { from: 'alice@example.org', to: ['bob@example.net'] },
      raw: MESSAGE,
    });
    transport.close();
    const raw = await waitDelivered(30_000);
    const sent = split(Buffer.from(MESSAGE, 'latin1'));
    const got = split(raw);

    // Body: byte for byte (Postfix and the sink may only differ in the final line ending).
    expect(got.body.toString('latin1').replace(/\r\n$/, '')).toBe(
      sent.body.toString('latin1').replace(/\r\n$/, ''),
    );

    // Gone: client address and client software.
    expect(all(got.fields, 'X-Originating-IP')).toEqual([]);
    expect(all(got.fields, 'User-Agent')).toEqual([]);

    // Received: Postfix's own hop on top (milters never see it), then the two submitted ones.
    const received = all(got.fields, 'Received');
    expect(received).toHaveLength(3);
    expect(received[0]).toMatch(/by submit\.milter\.example \(Postfix\)/);
    const internalHop = received[1]!;
    expect(internalHop).toMatch(/^ from redacted\.invalid/);
    expect(internalHop).not.toMatch(/192\.168|pc17/);
    // The receiving host, protocol, id and date stay for loop detection and debugging.
    expect(internalHop).toContain('by relay.corp.example (Postfix) with ESMTPSA id 4Q2;');
    expect(internalHop).toContain('Mon, 2 Nov 2026 10:00:00 +0100');
    expect(internalHop).toMatch(/\r\n\t/); // still folded
    expect(received[2]).toBe(all(sent.fields, 'Received')[1]);

    // Pseudonymised with the key from --key-file: stable, not the original.
    expect(all(got.fields, 'X-Employee-ID')).toEqual([` ${pseudonym(KEY, 'E-4711')}\r\n`]);

    // DKIM-relevant fields exactly as sent.
    for (const name of [
      'DKIM-Signature',
      'From',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'MIME-Version',
      'Content-Type',
    ]) {
      expect(all(got.fields, name), name).toEqual(all(sent.fields, name));
    }
    expect(postfix!.logTail(50)).not.toMatch(/milter.*(error|warning)/i);
  });
});
