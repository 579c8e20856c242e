import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import { SMTP_MAX_REPLY_LINE } from '../../core/limits.js';
import type { LabCa } from '../../lab/ca.js';
import { labDialer } from '../../lab/dialer.js';
import type { LinePeer } from '../../../test/unit/support/access-peer.js';
import { useAccessLab } from '../../../test/unit/support/access-lab.js';
import { refusingAfterFirst } from '../../../test/unit/support/refusing-dialer.js';
import { probeAccessHost, probeAccessPort, type AccessProbeOptions } from './probe.js';
import type { AccessPort, AccessProbeResult } from './types.js';

const FAST = { connect: 1_000, banner: 400, command: 1_000, tls: 2_000, quit: 300 };
const HOST = 'mail.test';
/** Commands that would carry credentials: the probe must never send one. */
const CREDENTIAL_VERBS = /^(?:[a-z] )?(?:AUTH|AUTHENTICATE|LOGIN|USER|PASS|APOP)\b/i;

const lab = useAccessLab({ host: HOST, good: '127.0.0.21', weak: '127.0.0.22' });

function labProbe(address: string, port: AccessPort, o: Partial<AccessProbeOptions> = {}) {
  return probeAccessPort(
    { host: HOST, address, port },
    {
      dialer: labDialer(lab.servers.ports),
      timeouts: FAST,
      ca: [lab.ca.certPem],
      heloName: 'probe.test',
      ...o,
    },
  );
}

async function tlsFor(o: Parameters<LabCa['issue']>[0] = { names: [HOST] }) {
  const cert = await lab.ca.issue(o);
  return { key: cert.keyPem, cert: cert.chainPem };
}

/** Probes `port` with the dialer sending it to the scripted peer. */
function peerProbe(p: LinePeer, port: AccessPort, o: Partial<AccessProbeOptions> = {}) {
  const dialer = labDialer(new Map([['127.0.0.1', new Map([[port, p.port]])]]));
  return probeAccessPort(
    { host: HOST, address: '127.0.0.1', port },
    { dialer, timeouts: FAST, ca: [lab.ca.certPem], legacyTls: false, ...o },
  );
}

function sent(r: AccessProbeResult): string[] {
  return r.transcript.filter((l) => l.dir === 'C').map((l) => l.line);
}

const imapOk = (caps: string) => (line: string) => {
  const [tag, verb] = line.split(' ');
  if (verb === 'CAPABILITY') return [`* CAPABILITY ${caps}`, `${tag} OK done`];
  if (verb === 'LOGOUT') return ['* BYE bye', `${tag} OK done`];
  return [`${tag} BAD unknown`];
};

describe('probeAccessPort against the lab servers', () => {
  it('submission over implicit TLS (465): TLS first, then banner and EHLO with AUTH', async () => {
    const r = await labProbe('127.0.0.21', 465);
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ service: 'submissions', protocol: 'smtp', tlsMode: 'implicit', port: 465 });
    expect(r.tls?.authorized).toBe(true);
    expect(r.tls?.nameMatches).toBe(true);
    expect(r.greeting).toEqual({ ok: true, text: [`${HOST} ESMTP`], code: 220 });
    expect(r.capabilitiesInTls?.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(r.capabilitiesInClear).toBeUndefined();
    expect(r.starttls).toBeUndefined();
    expect(r.legacyTls).toEqual({ TLSv1: 'refused', 'TLSv1.1': 'refused' });
    expect(sent(r)).toEqual(['EHLO probe.test', 'QUIT']);
    // The handshake note comes before the first byte of SMTP.
    const firstServerLine = r.transcript.findIndex((l) => l.dir === 'S');
    const tlsUp = r.transcript.findIndex((l) => l.line.startsWith('TLS established'));
    expect(tlsUp).toBeGreaterThan(-1);
    expect(tlsUp).toBeLessThan(firstServerLine);
  });

  it('submission with STARTTLS (587): AUTH appears only after TLS', async () => {
    const r = await labProbe('127.0.0.21', 587);
    expect(r.error).toBeUndefined();
    expect(r.capabilitiesInClear?.keywords).toContain('STARTTLS');
    expect(r.capabilitiesInClear?.mechanisms).toEqual([]);
    expect(r.starttls).toEqual({ offered: true, ok: true, reply: '220 2.0.0 Ready to start TLS' });
    expect(r.capabilitiesInTls?.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(r.capabilitiesInTls?.keywords).not.toContain('STARTTLS');
    expect(sent(r)).toEqual(['EHLO probe.test', 'STARTTLS', 'EHLO probe.test', 'QUIT']);
  });

  it('submission offering AUTH before STARTTLS', async () => {
    const r = await labProbe('127.0.0.22', 587);
    expect(r.capabilitiesInClear?.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(r.starttls?.ok).toBe(true);
    expect(sent(r).some((c) => CREDENTIAL_VERBS.test(c))).toBe(false);
  });

  it('IMAP over implicit TLS (993) and IMAP with STARTTLS and LOGINDISABLED (143)', async () => {
    const [imaps, imap] = await Promise.all([labProbe('127.0.0.21', 993), labProbe('127.0.0.21', 143)]);
    expect(imaps.error).toBeUndefined();
    expect(imaps.greeting?.ok).toBe(true);
    expect(imaps.capabilitiesInTls?.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(sent(imaps)).toEqual(['a CAPABILITY', 'b LOGOUT']);
    expect(imap.error).toBeUndefined();
    expect(imap.capabilitiesInClear?.keywords).toEqual(
      expect.arrayContaining(['IMAP4REV1', 'STARTTLS', 'LOGINDISABLED']),
    );
    expect(imap.capabilitiesInClear?.mechanisms).toEqual([]);
    expect(imap.starttls).toMatchObject({ offered: true, ok: true });
    expect(imap.capabilitiesInTls?.keywords).not.toContain('LOGINDISABLED');
    expect(sent(imap)).toEqual(['a CAPABILITY', 'b STARTTLS', 'c CAPABILITY', 'd LOGOUT']);
  });

  it('IMAP offering AUTH=PLAIN in clear without STARTTLS', async () => {
    const r = await labProbe('127.0.0.22', 143);
    expect(r.error).toBeUndefined();
    expect(r.capabilitiesInClear?.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(r.capabilitiesInClear?.keywords).not.toContain('LOGINDISABLED');
    expect(r.starttls).toEqual({ offered: false, ok: false });
    expect(r.tls).toBeUndefined();
    // No TLS was attempted, so there is nothing to test about legacy versions.
    expect(r.legacyTls).toBeUndefined();
  });

  it('POP3 over implicit TLS (995), with STLS (110), and in clear only', async () => {
    const [pop3s, pop3, plain] = await Promise.all([
      labProbe('127.0.0.21', 995),
      labProbe('127.0.0.21', 110),
      labProbe('127.0.0.22', 110),
    ]);
    expect(pop3s.error).toBeUndefined();
    expect(pop3s.capabilitiesInTls?.keywords).toContain('USER');
    expect(sent(pop3s)).toEqual(['CAPA', 'QUIT']);
    expect(pop3.capabilitiesInClear?.keywords).toContain('STLS');
    expect(pop3.capabilitiesInClear?.keywords).not.toContain('USER');
    expect(pop3.starttls).toEqual({ offered: true, ok: true, reply: '+OK Begin TLS negotiation now.' });
    expect(pop3.capabilitiesInTls?.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(sent(pop3)).toEqual(['CAPA', 'STLS', 'CAPA', 'QUIT']);
    expect(plain.capabilitiesInClear?.keywords).toContain('USER');
    expect(plain.starttls).toEqual({ offered: false, ok: false });
  });

  it('rejects a port that is not a submission or access port as a caller bug', async () => {
    await expect(labProbe('127.0.0.21', 25 as AccessPort)).rejects.toBeInstanceOf(InputError);
  });

  it('records a closed port as refused, without an error', async () => {
    const r = await labProbe('127.0.0.22', 993);
    expect(r.connect).toMatchObject({ ok: false, reason: 'refused' });
    expect(r.error).toBeUndefined();
    expect(r.greeting).toBeUndefined();
  });

  it('probes every port of every address, in address then port order', async () => {
    const results = await probeAccessHost(
      { host: HOST, addresses: ['127.0.0.21', '127.0.0.22'] },
      { dialer: labDialer(lab.servers.ports), timeouts: FAST, ca: [lab.ca.certPem], legacyTls: false },
    );
    expect(results.map((r) => `${r.address}:${r.port}:${r.connect.ok}`)).toEqual([
      '127.0.0.21:465:true',
      '127.0.0.21:587:true',
      '127.0.0.21:143:true',
      '127.0.0.21:993:true',
      '127.0.0.21:110:true',
      '127.0.0.21:995:true',
      '127.0.0.22:465:false',
      '127.0.0.22:587:true',
      '127.0.0.22:143:true',
      '127.0.0.22:993:false',
      '127.0.0.22:110:true',
      '127.0.0.22:995:false',
    ]);
    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(results.flatMap(sent).some((c) => CREDENTIAL_VERBS.test(c))).toBe(false);
  });
});

describe('probeAccessPort against odd but honest peers', () => {
  it('records an IMAP BYE greeting as a refused session', async () => {
    const p = await lab.peer({ greeting: ['* BYE Too many connections'], answer: () => 'stall' });
    const r = await peerProbe(p, 143);
    expect(r.greeting).toEqual({ ok: false, text: ['Too many connections'] });
    expect(r.error).toEqual({ phase: 'greeting', reason: 'session refused: BYE Too many connections' });
    expect(p.commands).toEqual([]);
  });

  it('records a 421 submission banner as a temporary refusal', async () => {
    const p = await lab.peer({ greeting: ['421 4.7.0 Try again later'], answer: () => ['221 bye'] });
    const r = await peerProbe(p, 587);
    expect(r.greeting).toMatchObject({ ok: false, code: 421 });
    expect(r.error?.reason).toContain('temporarily refused');
  });

  it('notes IMAP PREAUTH', async () => {
    const p = await lab.peer({ greeting: ['* PREAUTH welcome'], answer: imapOk('IMAP4rev1') });
    const r = await peerProbe(p, 143);
    expect(r.greeting).toEqual({ ok: true, text: ['welcome'], preauth: true });
    expect(r.starttls).toEqual({ offered: false, ok: false });
  });

  it('records a CAPABILITY answered with BAD', async () => {
    const p = await lab.peer({
      greeting: ['* OK ready'],
      answer: (line) => [`${line.split(' ')[0]} BAD no`],
    });
    const r = await peerProbe(p, 143);
    expect(r.error).toEqual({ phase: 'capability', reason: 'CAPABILITY answered BAD no' });
  });

  it('records STARTTLS refused with NO', async () => {
    const p = await lab.peer({
      greeting: ['* OK ready'],
      answer: (line) => {
        const [tag, verb] = line.split(' ');
        if (verb === 'STARTTLS') return [`${tag} NO [UNAVAILABLE] TLS broken`];
        return imapOk('IMAP4rev1 STARTTLS LOGINDISABLED')(line);
      },
    });
    const r = await peerProbe(p, 143);
    expect(r.starttls).toEqual({ offered: true, ok: false, reply: 'NO [UNAVAILABLE] TLS broken' });
    expect(r.error).toEqual({
      phase: 'starttls',
      reason: 'STARTTLS offered but answered NO [UNAVAILABLE] TLS broken',
    });
    expect(r.tls).toBeUndefined();
  });

  it('accepts a POP3 server without CAPA as unlisted, not as an error', async () => {
    const p = await lab.peer({
      greeting: ['+OK POP3 ready <1896.697170952@pop.test>'],
      answer: (line) => (line === 'QUIT' ? ['+OK bye'] : ['-ERR unknown command']),
    });
    const r = await peerProbe(p, 110);
    expect(r.error).toBeUndefined();
    expect(r.capabilitiesInClear).toEqual({ keywords: [], mechanisms: [], listed: false });
    expect(r.starttls).toEqual({ offered: false, ok: false });
  });

  it('un-stuffs dotted CAPA lines', async () => {
    const p = await lab.peer({
      greeting: ['+OK ready'],
      answer: (line) => (line === 'CAPA' ? ['+OK', '..ODD', 'USER', '.'] : ['+OK bye']),
    });
    const r = await peerProbe(p, 110);
    expect(r.capabilitiesInClear?.keywords).toEqual(['.ODD', 'USER']);
  });

  it('observes a TLS 1.0-only implicit port through the legacy probes', async () => {
    const tls = await tlsFor();
    const p = await lab.peer({
      implicitTls: { ...tls, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
      greeting: ['* OK ready'],
      answer: imapOk('IMAP4rev1'),
    });
    const r = await peerProbe(p, 993, { legacyTls: true });
    expect(r.tls).toBeUndefined();
    expect(r.error?.phase).toBe('tls');
    expect(r.legacyTls).toEqual({ TLSv1: 'accepted', 'TLSv1.1': 'refused' });
    expect(p.connections).toBe(3);
  });

  it('reports a clear-text server on an implicit-TLS port as a TLS failure', async () => {
    const p = await lab.peer({ greeting: ['+OK POP3 ready'], answer: () => ['-ERR what'] });
    const r = await peerProbe(p, 995, { legacyTls: true });
    expect(r.connect.ok).toBe(true);
    expect(r.greeting).toBeUndefined();
    expect(r.error).toEqual({ phase: 'tls', reason: expect.stringContaining('WRONG_VERSION_NUMBER') });
    // Older TLS versions would meet the same clear text: no further connections are spent on them.
    expect(r.legacyTls).toBeUndefined();
    expect(p.connections).toBe(1);
  });
});

describe('probeAccessPort against hostile or failing peers', () => {
  it('gives up on a server that never greets', async () => {
    const p = await lab.peer({ greeting: 'stall', answer: () => 'stall' });
    const started = performance.now();
    const r = await peerProbe(p, 143);
    expect(performance.now() - started).toBeLessThan(FAST.banner + 500);
    expect(r.error).toEqual({ phase: 'greeting', reason: expect.stringContaining('timeout') });
  });

  it('gives up on an implicit-TLS server that never completes the handshake', async () => {
    const p = await lab.peer({ greeting: 'stall', answer: () => 'stall' });
    const r = await peerProbe(p, 993, { timeouts: { ...FAST, tls: 300 } });
    expect(r.error?.phase).toBe('tls');
  });

  it('ends a 10 MB greeting line at the line limit', async () => {
    const p = await lab.peer({
      greeting: Buffer.concat([Buffer.from('+OK '), Buffer.alloc(10 * 1024 * 1024, 0x78)]),
      answer: () => 'stall',
    });
    const r = await peerProbe(p, 110);
    expect(r.error?.phase).toBe('greeting');
    expect(r.error?.reason).toContain(String(SMTP_MAX_REPLY_LINE));
  });

  it('reports binary garbage as not IMAP and escapes control characters', async () => {
    const p = await lab.peer({
      greeting: Buffer.from([0x16, 0x03, 0x01, 0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0x0a]),
      answer: () => 'stall',
    });
    const r = await peerProbe(p, 143);
    expect(r.error?.phase).toBe('greeting');
    expect(r.error?.reason).toContain('not an IMAP greeting');
    expect(r.transcript.some((l) => l.line.includes('\\x1b[2J'))).toBe(true);
    expect(r.transcript.some((l) => l.line.includes('\x1b'))).toBe(false);
  });

  it('stops on a flood of untagged responses', async () => {
    const flood = Array.from({ length: 500 }, (_, i) => `* ${i} EXISTS`);
    const p = await lab.peer({ greeting: ['* OK ready'], answer: () => flood });
    const r = await peerProbe(p, 143);
    expect(r.error).toEqual({ phase: 'capability', reason: expect.stringContaining('longer than') });
  });

  it('names a hang-up in the middle of a response', async () => {
    const p = await lab.peer({
      greeting: ['* OK ready'],
      answer: () => ({ last: ['* CAPABILITY IMAP4rev1'] }),
    });
    const r = await peerProbe(p, 143);
    expect(r.error).toEqual({ phase: 'capability', reason: 'connection closed in the middle of a response' });
  });

  it('names a legacy connection that could not be dialled with the error code', async () => {
    const p = await lab.peer({
      implicitTls: await tlsFor(),
      greeting: ['* OK ready'],
      answer: imapOk('IMAP4rev1'),
    });
    const dialer = refusingAfterFirst(labDialer(new Map([['127.0.0.1', new Map([[993, p.port]])]])));
    const r = await peerProbe(p, 993, { legacyTls: true, dialer });
    expect(r.error).toBeUndefined();
    expect(r.legacyTls).toEqual({ TLSv1: 'error', 'TLSv1.1': 'error' });
    expect(r.transcript.filter((l) => l.dir === '*').map((l) => l.line)).toContain(
      'TLSv1 in a separate connection: error (E_NET_CONNECT: connect to port 993 failed: ECONNREFUSED)',
    );
  });

  it('stops when a peer speaks out of turn', async () => {
    const p = await lab.peer({
      greeting: ['* OK ready'],
      answer: (line) => [...imapOk('IMAP4rev1 STARTTLS')(line), '* junk', '* more junk'],
    });
    const r = await peerProbe(p, 143);
    expect(r.error).toEqual({
      phase: 'starttls',
      reason: expect.stringMatching(/^peer sent \d+ bytes nobody asked for$/),
    });
  });

  it('records a peer that hangs up during the STLS handshake', async () => {
    const p = await lab.peer({
      greeting: ['+OK ready'],
      answer: (line) => (line === 'CAPA' ? ['+OK', 'STLS', '.'] : { starttls: ['+OK go'], then: 'close' }),
    });
    const r = await peerProbe(p, 110);
    expect(r.starttls?.ok).toBe(true);
    expect(r.error?.phase).toBe('tls');
    expect(r.error?.reason).toMatch(/closed|reset/);
  });

  it('records a peer that stalls after agreeing to STLS', async () => {
    const p = await lab.peer({
      greeting: ['+OK ready'],
      answer: (line) => (line === 'CAPA' ? ['+OK', 'STLS', '.'] : { starttls: ['+OK go'], then: 'stall' }),
    });
    const r = await peerProbe(p, 110, { timeouts: { ...FAST, tls: 300 } });
    expect(r.error).toEqual({ phase: 'tls', reason: expect.stringContaining('not done within 300 ms') });
  });

  it('stops promptly when aborted', async () => {
    const p = await lab.peer({ greeting: 'stall', answer: () => 'stall' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = performance.now();
    const r = await peerProbe(p, 143, { signal: ac.signal, timeouts: { ...FAST, banner: 10_000 } });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(r.error).toEqual({ phase: 'greeting', reason: 'probe aborted' });
  });
});
