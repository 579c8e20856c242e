import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialError, directDialer } from '../core/dialer.js';
import { SMTP_MAX_REPLY_LINE } from '../core/limits.js';
import { createLabCa, type LabCa } from '../lab/ca.js';
import {
  closedPort,
  startPeer,
  type PeerScript,
  type ScriptedPeer,
} from '../../test/unit/support/smtp-peer.js';
import { refusingAfterFirst } from '../../test/unit/support/refusing-dialer.js';
import { smtpFindings } from './findings.js';
import { probeSmtp, type ProbeOptions } from './probe.js';
import type { SmtpProbeResult } from './types.js';

const FAST = { connect: 1_000, banner: 400, command: 1_000, tls: 2_000, quit: 300 };
const HOST = 'mx.test';

let ca: LabCa;
const peers: ScriptedPeer[] = [];

beforeAll(async () => {
  ca = await createLabCa();
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

async function peer(script: PeerScript): Promise<ScriptedPeer> {
  const p = await startPeer(script);
  peers.push(p);
  return p;
}

async function tlsFor(o: Parameters<LabCa['issue']>[0] = { names: [HOST] }) {
  const cert = await ca.issue(o);
  return { key: cert.keyPem, cert: cert.chainPem };
}

function probe(p: ScriptedPeer, o: Partial<ProbeOptions> = {}): Promise<SmtpProbeResult> {
  return probeSmtp(
    { host: HOST, address: '127.0.0.1', port: p.port },
    { dialer: directDialer, timeouts: FAST, heloName: 'probe.test', ca: [ca.certPem], ...o },
  );
}

describe('probeSmtp against well-behaved peers', () => {
  it('records a working STARTTLS session, the chain, and refused legacy TLS', async () => {
    const p = await peer({ tls: await tlsFor({ names: [HOST], viaIntermediate: true }) });
    const r = await probe(p);
    expect(r.error).toBeUndefined();
    expect(r.connect.ok).toBe(true);
    expect(r.family).toBe(4);
    expect(r.banner).toEqual({ code: 220, text: ['peer.test ESMTP'] });
    expect(r.ehlo?.extensions).toEqual(['PIPELINING', 'SIZE', 'STARTTLS']);
    expect(r.starttls).toEqual({ offered: true, ok: true, code: 220 });
    expect(r.tls?.protocol).toBe('TLSv1.3');
    expect(r.tls?.forwardSecrecy).toBe(true);
    expect(r.tls?.authorized).toBe(true);
    expect(r.tls?.nameMatches).toBe(true);
    expect(r.tls?.chain[0]?.subjectAltNames).toEqual([HOST]);
    expect(r.tls?.chain[0]?.keyType).toBe('ec');
    expect(r.tls?.chain[0]?.keyBits).toBe(256);
    // What the server sent: leaf and intermediate; the root only lives in the trust store.
    expect(r.tls?.chain).toHaveLength(2);
    expect(r.tls?.chain[1]?.subject).toContain('intermediate');
    expect(r.tls?.chain.some((c) => c.selfSigned)).toBe(false);
    expect(r.ehloAfterTls?.extensions).not.toContain('STARTTLS');
    expect(r.vrfy?.code).toBe(502);
    expect(r.expn?.code).toBe(502);
    expect(r.relay).toBeUndefined();
    expect(r.legacyTls).toEqual({ TLSv1: 'refused', 'TLSv1.1': 'refused' });
    // The main session, then one short connection per legacy version.
    expect(p.commands.slice(0, 6)).toEqual([
      'EHLO probe.test',
      'STARTTLS',
      'EHLO probe.test',
      'VRFY postmaster',
      'EXPN postmaster',
      'QUIT',
    ]);
    expect(p.connections).toBe(3);
    const dirs = new Set(r.transcript.map((l) => l.dir));
    expect(dirs).toEqual(new Set(['C', 'S', '*']));
    expect(r.transcript.every((l, i, a) => i === 0 || l.ms >= a[i - 1]!.ms)).toBe(true);
  });

  it('records a server without STARTTLS and does not try legacy TLS', async () => {
    const p = await peer({});
    const r = await probe(p);
    expect(r.error).toBeUndefined();
    expect(r.starttls).toEqual({ offered: false, ok: false });
    expect(r.tls).toBeUndefined();
    expect(r.legacyTls).toBeUndefined();
    expect(p.connections).toBe(1);
  });

  it('keeps a multi-line banner whole', async () => {
    const p = await peer({ banner: ['220-peer.test ESMTP', '220-no UCE', '220 welcome'] });
    const r = await probe(p, { vrfy: false });
    expect(r.banner).toEqual({ code: 220, text: ['peer.test ESMTP', 'no UCE', 'welcome'] });
    expect(p.commands).not.toContain('VRFY postmaster');
  });

  it('falls back to HELO when EHLO is rejected', async () => {
    const p = await peer({ replies: { EHLO: ['502 5.5.2 command not recognized'] } });
    const r = await probe(p);
    expect(r.error).toBeUndefined();
    expect(r.ehlo).toEqual({ code: 250, lines: ['peer.test'], extensions: [], helo: true });
    expect(r.starttls?.offered).toBe(false);
  });

  it('records VRFY and EXPN answers', async () => {
    const p = await peer({
      replies: { VRFY: ['250 2.0.0 Postmaster <postmaster@peer.test>'], EXPN: ['252 2.0.0 Cannot EXPN'] },
    });
    const r = await probe(p);
    expect(r.vrfy).toEqual({ code: 250, text: '2.0.0 Postmaster <postmaster@peer.test>' });
    expect(r.expn).toEqual({ code: 252, text: '2.0.0 Cannot EXPN' });
  });

  it('tests relaying only when asked, stops at RCPT and never sends DATA', async () => {
    const p = await peer({ replies: { RCPT: ['250 2.1.5 Ok'] } });
    const r = await probe(p, { relay: { from: 'probe@sender.test', to: 'someone@elsewhere.test' } });
    expect(r.relay).toEqual({ tested: true, acceptedForeignRcpt: true, code: 250 });
    expect(p.commands).toContain('RCPT TO:<someone@elsewhere.test>');
    expect(p.commands).toContain('RSET');
    expect(p.commands.some((c) => c.toUpperCase().startsWith('DATA'))).toBe(false);
  });

  it('never puts a malformed EHLO name on the wire', async () => {
    const p = await peer({});
    const r = await probe(p, { heloName: 'x\r\nRCPT TO:<a@b.test>', vrfy: false });
    expect(r.error).toBeUndefined();
    expect(p.commands.some((c) => c.startsWith('RCPT'))).toBe(false);
    expect(p.commands[0]).toMatch(/^EHLO [A-Za-z0-9.-]+$/);
  });

  it('refuses to put unsafe relay addresses on the wire', async () => {
    const p = await peer({});
    const r = await probe(p, { relay: { from: 'a@b.test', to: 'x@y.test>\r\nDATA' } });
    expect(r.error?.phase).toBe('relay');
    expect(p.commands.some((c) => c.startsWith('MAIL'))).toBe(false);
  });
});

describe('probeSmtp certificates', () => {
  it('reports an expired certificate as unauthorised without refusing it', async () => {
    const p = await peer({
      tls: await tlsFor({ names: [HOST], notAfter: new Date(Date.now() - 86_400_000) }),
    });
    const r = await probe(p, { legacyTls: false });
    expect(r.tls?.authorized).toBe(false);
    expect(r.tls?.authorizationError).toBe('CERT_HAS_EXPIRED');
    expect(r.ehloAfterTls?.code).toBe(250);
  });

  it('reports a certificate for another name', async () => {
    const p = await peer({ tls: await tlsFor({ names: ['other.test'] }) });
    const r = await probe(p, { legacyTls: false });
    expect(r.tls?.authorized).toBe(true);
    expect(r.tls?.nameMatches).toBe(false);
    expect(r.tls?.nameError).toContain('other.test');
  });

  it('reports a self-signed certificate', async () => {
    const p = await peer({ tls: await tlsFor({ names: [HOST], selfSigned: true }) });
    const r = await probe(p, { legacyTls: false });
    expect(r.tls?.authorized).toBe(false);
    expect(r.tls?.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(r.tls?.chain).toHaveLength(1);
    expect(r.tls?.chain[0]?.selfSigned).toBe(true);
  });

  it('is untrusted without the lab root among the anchors', async () => {
    const p = await peer({ tls: await tlsFor() });
    const r = await probe(p, { legacyTls: false, ca: [] });
    expect(r.tls?.authorized).toBe(false);
    expect(r.tls?.nameMatches).toBe(true);
  });

  it('observes a 1024-bit RSA key and a suite without forward secrecy', async () => {
    const tls = await tlsFor({ names: [HOST], key: 'rsa1024' });
    const p = await peer({
      tls: { ...tls, maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:@SECLEVEL=0' },
    });
    const r = await probe(p, { legacyTls: false });
    expect(r.tls?.protocol).toBe('TLSv1.2');
    expect(r.tls?.cipher).toBe('AES128-GCM-SHA256');
    expect(r.tls?.forwardSecrecy).toBe(false);
    expect(r.tls?.chain[0]?.keyType).toBe('rsa');
    expect(r.tls?.chain[0]?.keyBits).toBe(1024);
  });

  it('observes a TLS 1.0-only server through the legacy probes', async () => {
    const tls = await tlsFor();
    const p = await peer({
      tls: { ...tls, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    const r = await probe(p);
    expect(r.tls).toBeUndefined();
    expect(r.error?.phase).toBe('tls');
    expect(r.starttls?.ok).toBe(true);
    expect(r.legacyTls).toEqual({ TLSv1: 'accepted', 'TLSv1.1': 'refused' });
    expect(p.connections).toBe(3);
    expect(
      r.transcript.some(
        (l) => l.dir === '*' && l.line.startsWith('TLSv1 in a separate connection: accepted'),
      ),
    ).toBe(true);
  });
});

describe('probeSmtp legacy TLS notes', () => {
  it('names a legacy connection that could not be dialled by the message alone', async () => {
    const p = await peer({ tls: await tlsFor() });
    const r = await probe(p, { dialer: refusingAfterFirst(directDialer) });
    expect(r.error).toBeUndefined();
    expect(r.legacyTls).toEqual({ TLSv1: 'error', 'TLSv1.1': 'error' });
    expect(r.transcript.filter((l) => l.dir === '*').map((l) => l.line)).toContain(
      `TLSv1 in a separate connection: error (connect to port ${p.port} failed: ECONNREFUSED)`,
    );
  });
});

describe('probeSmtp against hostile or failing peers', () => {
  it('reports a refused port through the direct dialer', async () => {
    const port = await closedPort();
    await expect(directDialer.connect('127.0.0.1', port, { timeoutMs: 1_000 })).rejects.toMatchObject({
      reason: 'refused',
    });
    await expect(directDialer.connect('127.0.0.1', port, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(
      DialError,
    );
    const r = await probeSmtp(
      { host: HOST, address: '127.0.0.1', port },
      { dialer: directDialer, timeouts: FAST },
    );
    expect(r.connect.ok).toBe(false);
    expect(r.connect.reason).toBe('refused');
    expect(r.error?.phase).toBe('connect');
    expect(r.banner).toBeUndefined();
  });

  it('gives up on a server that never greets', async () => {
    const p = await peer({ banner: 'stall' });
    const started = performance.now();
    const r = await probe(p);
    expect(performance.now() - started).toBeLessThan(FAST.banner + 500);
    expect(r.connect.ok).toBe(true);
    expect(r.error).toEqual({ phase: 'banner', reason: expect.stringContaining('timeout') });
  });

  it('gives up on a banner that stops mid-reply', async () => {
    const p = await peer({ banner: ['220-peer.test ESMTP'] });
    const r = await probe(p);
    expect(r.error?.phase).toBe('banner');
    expect(r.error?.reason).toContain('in the middle of a reply');
  });

  it('ends a 10 MB banner line at the line limit', async () => {
    const p = await peer({
      banner: Buffer.concat([Buffer.from('220-'), Buffer.alloc(10 * 1024 * 1024, 0x78)]),
    });
    const r = await probe(p);
    expect(r.error?.phase).toBe('banner');
    expect(r.error?.reason).toContain(String(SMTP_MAX_REPLY_LINE));
  });

  it('reports binary garbage as not SMTP', async () => {
    const p = await peer({
      banner: Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0x0a]),
    });
    const r = await probe(p);
    expect(r.error?.phase).toBe('banner');
    expect(r.error?.reason).toContain('not an SMTP reply');
    // Control characters are escaped, never passed through to reports.
    expect(r.transcript.some((l) => l.line.includes('\\x1b[2J'))).toBe(true);
    expect(r.transcript.some((l) => l.line.includes('\x1b'))).toBe(false);
  });

  it('stops when a peer speaks out of turn instead of misreading later replies', async () => {
    const junk = Array.from({ length: 2_000 }, () => '250 junk');
    const p = await peer({ replies: { EHLO: ['250 peer.test', ...junk] } });
    const r = await probe(p);
    expect(r.ehlo?.code).toBe(250);
    expect(r.vrfy).toBeUndefined();
    expect(r.error).toEqual({
      phase: 'vrfy',
      reason: expect.stringMatching(/^peer sent \d+ bytes nobody asked for$/),
    });
  });

  it('records a 4xx greeting as a temporary refusal and says QUIT', async () => {
    const p = await peer({ banner: ['421 4.7.0 peer.test Try again later'] });
    const r = await probe(p);
    expect(r.banner).toEqual({ code: 421, text: ['4.7.0 peer.test Try again later'] });
    expect(r.error?.phase).toBe('banner');
    expect(r.error?.reason).toContain('temporarily refused');
    expect(p.commands).toEqual(['QUIT']);
  });

  it('records 454 to STARTTLS', async () => {
    const p = await peer({
      extensions: ['STARTTLS'],
      replies: { STARTTLS: ['454 4.7.0 TLS not available due to local problem'] },
    });
    const r = await probe(p);
    expect(r.starttls).toMatchObject({ offered: true, ok: false, code: 454 });
    expect(r.error?.phase).toBe('starttls');
    expect(r.tls).toBeUndefined();
  });

  it('records a peer that hangs up during the TLS handshake', async () => {
    const p = await peer({ extensions: ['STARTTLS'], replies: { STARTTLS: 'starttls-then-close' } });
    const r = await probe(p, { legacyTls: false });
    expect(r.starttls?.ok).toBe(true);
    expect(r.error?.phase).toBe('tls');
    expect(r.error?.reason).toMatch(/closed|reset/);
  });

  it('records a peer that stalls after 220 to STARTTLS', async () => {
    const p = await peer({ extensions: ['STARTTLS'], replies: { STARTTLS: 'starttls-then-stall' } });
    const r = await probe(p, { legacyTls: false, timeouts: { ...FAST, tls: 300 } });
    expect(r.error).toEqual({ phase: 'tls', reason: expect.stringContaining('not done within 300 ms') });
  });

  it('stops promptly when aborted', async () => {
    const p = await peer({ banner: 'stall' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const r = await probe(p, { signal: ac.signal, timeouts: { ...FAST, banner: 10_000 } });
    expect(r.error).toEqual({ phase: 'banner', reason: 'probe aborted' });
  });
});

describe('probe results judged by smtpFindings', () => {
  it('turns real probes into the expected verdicts', async () => {
    const good = await peer({ tls: await tlsFor() });
    const leaky = await peer({
      banner: ['220 mx.test ESMTP Postfix (Debian/GNU)'],
      replies: { VRFY: ['252 2.0.0 postmaster'], EXPN: ['250 2.1.5 <postmaster@mx.test>'] },
    });
    const results = [await probe(good), await probe(leaky)];
    results[1]!.address = '127.0.0.2';
    const f = smtpFindings({ host: HOST, addresses: ['127.0.0.1', '127.0.0.2'] }, results, {
      clock: () => new Date(),
    });
    const verdict = (id: string) => f.filter((x) => x.id === id).map((x) => x.status);
    expect(verdict('smtp.connect')).toEqual(['pass']);
    expect(verdict('smtp.starttls')).toEqual(['pass', 'fail']);
    expect(verdict('smtp.tls-version')).toEqual(['pass']);
    expect(verdict('smtp.certificate')).toEqual(['pass']);
    expect(verdict('smtp.banner')).toEqual(['pass', 'warn']);
    expect(verdict('smtp.vrfy')).toEqual(['pass', 'fail']);
    const transcript = JSON.stringify(f.find((x) => x.id === 'smtp.vrfy' && x.status === 'fail')?.evidence);
    expect(transcript).toContain('EXPN postmaster');
  });
});
