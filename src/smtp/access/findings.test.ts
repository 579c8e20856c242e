import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { labDialer } from '../../lab/dialer.js';
import { useAccessLab } from '../../../test/unit/support/access-lab.js';
import type { TlsSummary } from '../types.js';
import { accessFindings } from './findings.js';
import { probeAccessHost, probeAccessPort } from './probe.js';
import { accessService } from './services.js';
import type { AccessPort, AccessProbeResult, Capabilities } from './types.js';

const HOST = 'mail.test';
const FAST = { connect: 1_000, banner: 400, command: 1_000, tls: 2_000, quit: 300 };
const clock = () => new Date();

const lab = useAccessLab({ host: HOST, good: '127.0.0.31', weak: '127.0.0.32' });

function labHost(address: string) {
  return probeAccessHost(
    { host: HOST, addresses: [address] },
    { dialer: labDialer(lab.servers.ports), timeouts: FAST, ca: [lab.ca.certPem] },
  );
}

const byId = (f: Finding[], id: string) => f.filter((x) => x.id === id);
const statuses = (f: Finding[], id: string) => byId(f, id).map((x) => `${x.status}/${x.severity}`);

const caps = (keywords: string[], mechanisms: string[] = []): Capabilities => ({
  keywords,
  mechanisms,
  listed: true,
});

/** A synthetic result: an open port with the given observations. */
function result(port: AccessPort, over: Partial<AccessProbeResult> = {}): AccessProbeResult {
  const s = accessService(port)!;
  return {
    host: HOST,
    address: '192.0.2.1',
    port,
    family: 4,
    service: s.name,
    protocol: s.protocol,
    tlsMode: s.tlsMode,
    connect: { ok: true, ms: 1 },
    greeting: { ok: true, text: ['ready'] },
    transcript: [],
    ...over,
  };
}

const closed = (port: AccessPort, address = '192.0.2.1') =>
  result(port, { address, connect: { ok: false, reason: 'refused', ms: 1 }, greeting: undefined });

function tls(over: Partial<TlsSummary> = {}): TlsSummary {
  return {
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    forwardSecrecy: true,
    chain: [],
    authorized: true,
    nameMatches: true,
    ...over,
  };
}

describe('accessFindings on the lab', () => {
  it('passes a well-run host on every count', async () => {
    const f = accessFindings(HOST, await labHost('127.0.0.31'), { clock });
    const ports = byId(f, 'submission.ports');
    expect(ports).toHaveLength(1);
    expect(ports[0]!.status).toBe('info');
    expect(ports[0]!.title).toBe(
      `${HOST} offers 465 (mail submission over implicit TLS), 587 (mail submission with STARTTLS), 143 (IMAP with STARTTLS), 993 (IMAP over implicit TLS), 110 (POP3 with STLS), 995 (POP3 over implicit TLS)`,
    );
    expect(statuses(f, 'submission.plaintext-auth')).toEqual(['pass/info', 'pass/info', 'pass/info']);
    expect(byId(f, 'submission.plaintext-auth').map((x) => x.title)).toEqual([
      `${HOST} offers no login before TLS on port 587`,
      `${HOST} offers no login before TLS on port 143`,
      `${HOST} offers no login before TLS on port 110`,
    ]);
    expect(statuses(f, 'submission.implicit-tls')).toEqual(['pass/info', 'pass/info', 'pass/info']);
    // One TLS verdict and one certificate verdict per server software, each listing its ports.
    expect(byId(f, 'submission.tls').map((x) => `${x.status} ${x.title}`)).toEqual([
      `pass ${HOST} negotiates TLSv1.3 with a strong cipher (ports 465, 587, 143, 993, 110, 995)`,
    ]);
    expect(byId(f, 'submission.certificate').map((x) => `${x.status} ${x.title}`)).toEqual([
      `pass ${HOST} has a valid certificate (ports 465, 587, 143, 993, 110, 995)`,
    ]);
    expect(byId(f, 'submission.tls')[0]!.detail).toMatch(
      /Seen at 127\.0\.0\.31 ports 465, 587, 143, 993, 110, 995\.$/,
    );
    expect(f.every((x) => x.controls.join() === 'access.admin' && x.gdpr.length > 0)).toBe(true);
  });

  it('fails logins in clear and missing STARTTLS, and warns about missing implicit TLS', async () => {
    const f = accessFindings(HOST, await labHost('127.0.0.32'), { clock });
    const plain = byId(f, 'submission.plaintext-auth');
    expect(plain.map((x) => `${x.status}/${x.severity} ${x.title}`)).toEqual([
      `fail/high ${HOST} accepts logins before TLS on port 587 (AUTH PLAIN, AUTH LOGIN)`,
      `fail/high ${HOST} accepts logins before TLS on port 143 (LOGIN, AUTHENTICATE PLAIN, AUTHENTICATE LOGIN)`,
      `fail/high ${HOST} accepts logins before TLS on port 110 (USER/PASS, AUTH PLAIN, AUTH LOGIN)`,
    ]);
    expect(plain[0]!.remediation).toContain('smtpd_tls_auth_only = yes');
    expect(plain[0]!.remediation).toContain('smtpd_tls_wrappermode=yes');
    expect(plain[1]!.remediation).toContain('disable_plaintext_auth = yes');
    expect(plain[1]!.remediation).toContain('auth_allow_cleartext = no');
    expect(plain[1]!.remediation).toContain('ssl = required');
    expect(plain[0]!.detail).toContain('Before STARTTLS the server offers AUTH PLAIN, AUTH LOGIN.');
    expect(plain[1]!.detail).toContain(
      'Without TLS (this port offers no STARTTLS at all) the server offers LOGIN',
    );
    expect(JSON.stringify(plain[1]!.evidence)).toContain('a CAPABILITY');
    // Evidence of a login in clear is what crossed the network in clear: the EHLO before STARTTLS only.
    const lines = (plain[0]!.evidence as { locations: { transcript: { line: string }[] }[] }).locations[0]!
      .transcript;
    expect(lines.filter((l) => l.line.startsWith('EHLO'))).toHaveLength(1);
    expect(lines.some((l) => l.line === '250-AUTH PLAIN LOGIN')).toBe(true);

    const implicit = byId(f, 'submission.implicit-tls');
    expect(implicit.map((x) => `${x.status}/${x.severity} ${x.title}`)).toEqual([
      `warn/low ${HOST}: Mail submission is offered only with STARTTLS (port 587), not over implicit TLS (port 465)`,
      `fail/high ${HOST}: IMAP on port 143 offers no STARTTLS`,
      `fail/high ${HOST}: POP3 on port 110 offers no STLS`,
    ]);
    expect(implicit[0]!.remediation).toContain('submissions inet n - n - - smtpd');
    expect(implicit[1]!.detail).toContain('no encrypted way');
    expect(byId(f, 'submission.tls').map((x) => x.title)).toEqual([
      `${HOST} negotiates TLSv1.3 with a strong cipher (port 587)`,
    ]);
    const summary = byId(f, 'submission.ports')[0]!;
    expect(summary.detail).toContain(
      '127.0.0.32: 465 closed, 587 open, 143 open, 993 closed, 110 open, 995 closed.',
    );
  });

  it('judges a certificate on an access port with the MX rules and a mail-client remediation', async () => {
    const cert = await lab.ca.issue({ names: [HOST], notAfter: new Date(Date.now() - 3 * 86_400_000) });
    const p = await lab.peer({
      implicitTls: { key: cert.keyPem, cert: cert.chainPem },
      greeting: ['* OK ready'],
      answer: (line) => {
        const [tag, verb] = line.split(' ');
        return verb === 'CAPABILITY' ? ['* CAPABILITY IMAP4rev1', `${tag} OK done`] : [`${tag} OK bye`];
      },
    });
    const r = await probeAccessPort(
      { host: HOST, address: '127.0.0.1', port: 993 },
      {
        dialer: labDialer(new Map([['127.0.0.1', new Map([[993, p.port]])]])),
        timeouts: FAST,
        ca: [lab.ca.certPem],
        legacyTls: false,
      },
    );
    const [c] = byId(accessFindings(HOST, [r], { clock }), 'submission.certificate');
    expect(c!.status).toBe('fail');
    expect(c!.title).toMatch(/^mail\.test certificate: expired on \d{4}-\d\d-\d\d \(port 993\)$/);
    expect(c!.detail).toContain('Mail clients warn or refuse to connect');
    expect(c!.remediation).toContain('ssl_server_cert_file');
  });
});

describe('accessFindings on synthetic results', () => {
  it('reports nothing probed, and an unreachable host as an error', () => {
    expect(accessFindings(HOST, [], { clock }).map((x) => `${x.id} ${x.status}`)).toEqual([
      'submission.ports info',
    ]);
    const unreachable = [465, 993].map((p) =>
      result(p as AccessPort, { connect: { ok: false, reason: 'unreachable', ms: 1 }, greeting: undefined }),
    );
    const f = accessFindings(HOST, unreachable, { clock });
    expect(f.map((x) => `${x.id} ${x.status}`)).toEqual(['submission.ports error']);
  });

  it('treats closed and filtered ports as not offered, not as failures', () => {
    const f = accessFindings(
      HOST,
      [closed(465), result(993, { connect: { ok: false, reason: 'timeout', ms: 5 }, greeting: undefined })],
      { clock },
    );
    expect(f.map((x) => `${x.id} ${x.status}`)).toEqual(['submission.ports info']);
    expect(f[0]!.title).toBe(`${HOST} offers no submission or mailbox access port`);
    expect(f[0]!.detail).toContain('465 closed, 993 no answer (filtered)');
  });

  it('reports a port that answered but could not be assessed', () => {
    const stalled = result(143, {
      greeting: undefined,
      error: { phase: 'greeting', reason: 'timeout: no reply within 400 ms' },
    });
    const f = accessFindings(HOST, [stalled], { clock });
    const errors = byId(f, 'submission.ports').filter((x) => x.status === 'error');
    expect(errors.map((x) => x.title)).toEqual([
      `${HOST} accepted the connection but gave no usable greeting (port 143)`,
    ]);
    expect(errors[0]!.detail).toContain('Timeout: no reply within 400 ms');
    expect(byId(f, 'submission.plaintext-auth')).toEqual([]);
  });

  it('assumes USER/PASS on a POP3 server without CAPA, and names APOP', () => {
    const r = result(110, {
      greeting: { ok: true, text: ['POP3 ready <1896.697170952@pop.test>'] },
      capabilitiesInClear: { keywords: [], mechanisms: [], listed: false },
      starttls: { offered: false, ok: false },
    });
    const [v] = byId(accessFindings(HOST, [r], { clock }), 'submission.plaintext-auth');
    expect(v).toMatchObject({ status: 'warn', severity: 'high' });
    expect(v!.title).toBe(`${HOST} probably accepts passwords in clear on port 110`);
    expect((v!.evidence as { locations: { methods: string[] }[] }).locations[0]!.methods).toEqual([
      'USER/PASS',
      'APOP',
    ]);
  });

  it('rates challenge-response mechanisms in clear lower than passwords in clear', () => {
    const r = result(587, {
      capabilitiesInClear: caps(['STARTTLS', 'AUTH'], ['CRAM-MD5', 'SCRAM-SHA-256']),
      starttls: { offered: true, ok: true },
      tls: tls(),
    });
    const [v] = byId(accessFindings(HOST, [r], { clock }), 'submission.plaintext-auth');
    expect(v).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(v!.detail).toContain('do not send the password as such');
  });

  it('reports STARTTLS that is advertised but refused', () => {
    const r = result(143, {
      capabilitiesInClear: caps(['IMAP4REV1', 'STARTTLS', 'LOGINDISABLED']),
      starttls: { offered: true, ok: false, reply: 'NO TLS broken' },
      error: { phase: 'starttls', reason: 'STARTTLS offered but answered NO TLS broken' },
    });
    const f = accessFindings(HOST, [r, closed(993)], { clock });
    expect(statuses(f, 'submission.implicit-tls')).toEqual(['error/high']);
    expect(byId(f, 'submission.implicit-tls')[0]!.detail).toContain('NO TLS broken');
    expect(byId(f, 'submission.tls')).toEqual([]);
  });

  it('fails a clear port without STARTTLS even when the implicit port works', () => {
    const f = accessFindings(
      HOST,
      [
        result(110, { capabilitiesInClear: caps(['USER']), starttls: { offered: false, ok: false } }),
        result(995, { capabilitiesInTls: caps(['USER']), tls: tls() }),
      ],
      { clock },
    );
    const implicit = byId(f, 'submission.implicit-tls');
    expect(implicit.map((x) => x.status)).toEqual(['fail', 'pass']);
    expect(implicit[0]!.detail).toContain(
      'Port 995 offers implicit TLS, but clients configured for port 110',
    );
    expect(implicit[1]!.detail).toContain('Port 110 answers as well');
  });

  it('says nothing about implicit TLS when the implicit port was not probed', () => {
    const r = result(587, {
      capabilitiesInClear: caps(['STARTTLS']),
      starttls: { offered: true, ok: true },
      tls: tls(),
    });
    expect(byId(accessFindings(HOST, [r], { clock }), 'submission.implicit-tls')).toEqual([]);
  });

  it('combines an obsolete version and a weak cipher into one TLS verdict', () => {
    const r = result(993, {
      tls: tls({ protocol: 'TLSv1.2', cipher: 'DES-CBC3-SHA', forwardSecrecy: false }),
      legacyTls: { TLSv1: 'accepted', 'TLSv1.1': 'refused' },
    });
    const [v] = byId(accessFindings(HOST, [r], { clock }), 'submission.tls');
    expect(v).toMatchObject({ status: 'fail', severity: 'medium' });
    expect(v!.title).toBe(
      `${HOST} still accepts TLSv1, and negotiated a weak cipher (DES-CBC3-SHA) (port 993)`,
    );
    expect(v!.remediation).toContain('ssl_min_protocol = TLSv1.2');
  });

  it('explains an implicit-TLS port that answers in clear text', () => {
    const r = result(465, {
      greeting: undefined,
      error: { phase: 'tls', reason: 'TLS handshake failed: ERR_SSL_WRONG_VERSION_NUMBER' },
    });
    const f = accessFindings(HOST, [r], { clock });
    const [v] = byId(f, 'submission.tls');
    expect(v).toMatchObject({ status: 'error', severity: 'high' });
    expect(v!.detail).toContain('implicit TLS is not enabled on it');
    expect(v!.remediation).toContain('smtpd_tls_wrappermode=yes');
    expect(byId(f, 'submission.ports')[0]!.detail).toContain('465 TLS failed');
  });

  it('reports a server that speaks only obsolete TLS on an implicit port', () => {
    const r = result(995, {
      greeting: undefined,
      error: { phase: 'tls', reason: 'TLS handshake failed: ERR_SSL_UNSUPPORTED_PROTOCOL' },
      legacyTls: { TLSv1: 'accepted', 'TLSv1.1': 'accepted' },
    });
    const [v] = byId(accessFindings(HOST, [r], { clock }), 'submission.tls');
    expect(v).toMatchObject({ status: 'fail', severity: 'high' });
    expect(v!.title).toContain('speaks only obsolete TLS');
  });

  it('merges the same verdict at several addresses into one finding', () => {
    const at = (address: string) =>
      result(143, {
        address,
        capabilitiesInClear: caps(['IMAP4REV1', 'STARTTLS']),
        starttls: { offered: true, ok: true },
        tls: tls(),
      });
    const f = accessFindings(HOST, [at('192.0.2.1'), at('2001:db8::1')], { clock });
    const plain = byId(f, 'submission.plaintext-auth');
    expect(plain).toHaveLength(1);
    expect(plain[0]!.title).toBe(`${HOST} accepts logins before TLS on port 143 (LOGIN)`);
    expect(plain[0]!.detail).toContain('Seen at 192.0.2.1 port 143; 2001:db8::1 port 143.');
    expect((plain[0]!.evidence as { locations: unknown[] }).locations).toHaveLength(2);
  });
});
