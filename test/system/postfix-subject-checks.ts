import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { createLabCa } from '../../src/lab/ca.js';
import type { PostfixInstance } from './postfix.js';
import { startPostfix } from './postfix.js';

// The set-up that system tests judging what a real Postfix did with mail share: a private instance
// that relays example.org (then bounces it: default_transport = error) and applies one
// header_checks action to every Subject, and plain messages sent to it over SMTP.

export interface SubjectChecksOptions {
  /** A loopback address the caller already holds (holdLoopbackAddress), so it can release it. */
  address: string;
  hostname: string;
  /** Scratch folder of the test, for the header_checks table. */
  work: string;
  /** WARN logs each Subject; HOLD also parks the message in the hold queue. */
  action: 'WARN' | 'HOLD';
}

export async function startSubjectChecksPostfix(o: SubjectChecksOptions): Promise<PostfixInstance> {
  const ca = await createLabCa();
  const cert = await ca.issue({ names: [o.hostname] });
  const checks = join(o.work, 'header_checks');
  writeFileSync(checks, `/^Subject:/ ${o.action}\n`);
  return startPostfix({
    address: o.address,
    hostname: o.hostname,
    keyPem: cert.keyPem,
    chainPem: cert.chainPem,
    extraMainCf: ['relay_domains = example.org', `header_checks = regexp:${checks}`],
  });
}

/** Sends each message in turn over one connection pool; STARTTLS is used, the lab certificate trusted. */
export async function sendPlainMails(
  postfix: PostfixInstance,
  mails: readonly { from: string; to: string; subject: string }[],
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: postfix.address,
    port: postfix.port,
    secure: false,
    ignoreTLS: false,
    tls: { rejectUnauthorized: false },
  });
  for (const m of mails) await transport.sendMail({ ...m, text: 'hello\n' });
  transport.close();
}

/** Postfix works asynchronously: polls until it has done its part, or fails with what it logged. */
export async function waitForPostfix(
  done: () => boolean | Promise<boolean>,
  failure: () => string,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((r) => setTimeout(r, 100));
  }
}
