import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import { createLabCa, type LabCa } from '../lab/ca.js';
import { summarizeCertificate } from './certificate.js';
import { smtpFindings } from './findings.js';
import type { PeerCertificate, SmtpProbeResult } from './types.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const clock = () => NOW;
const HOST = 'mx.example.test';

let ca: LabCa;
let leaf: PeerCertificate;
beforeAll(async () => {
  ca = await createLabCa({ now: NOW });
  leaf = summarizeCertificate((await ca.issue({ names: [HOST] })).certDer)!;
});

/** A probe of a well-run server; tests break one thing at a time. */
function good(address = '192.0.2.1', patch: Partial<SmtpProbeResult> = {}): SmtpProbeResult {
  return {
    host: HOST,
    address,
    port: 25,
    family: address.includes(':') ? 6 : 4,
    connect: { ok: true, ms: 3 },
    banner: { code: 220, text: [`${HOST} ESMTP`] },
    ehlo: { code: 250, lines: [HOST, 'PIPELINING', 'STARTTLS'], extensions: ['PIPELINING', 'STARTTLS'] },
    starttls: { offered: true, ok: true, code: 220 },
    tls: {
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      standardCipher: 'TLS_AES_256_GCM_SHA384',
      forwardSecrecy: true,
      chain: [leaf],
      authorized: true,
      nameMatches: true,
    },
    legacyTls: { TLSv1: 'refused', 'TLSv1.1': 'refused' },
    vrfy: { code: 502, text: '5.5.1 VRFY command is disabled' },
    expn: { code: 502, text: '5.5.2 Error: command not recognized' },
    transcript: [
      { dir: '*', line: 'connected', ms: 0 },
      { dir: 'S', line: `220 ${HOST} ESMTP`, ms: 1 },
      { dir: 'C', line: 'EHLO probe.test', ms: 2 },
      { dir: 'S', line: `250 ${HOST}`, ms: 3 },
      { dir: 'C', line: 'VRFY postmaster', ms: 4 },
      { dir: 'S', line: '502 5.5.1 VRFY command is disabled', ms: 5 },
    ],
    ...patch,
  };
}

function only(list: Finding[], id: string): Finding {
  const hits = list.filter((f) => f.id === id);
  expect(hits, id).toHaveLength(1);
  return hits[0]!;
}

describe('smtpFindings', () => {
  it('passes a well-run server, merging its addresses into one finding per check', () => {
    const mx = { host: HOST, addresses: ['192.0.2.1', '2001:db8::1'] };
    const f = smtpFindings(mx, [good('192.0.2.1'), good('2001:db8::1')], { clock });
    const ids = f.map((x) => x.id);
    expect(ids).toEqual([
      'smtp.connect',
      'smtp.starttls',
      'smtp.tls-version',
      'smtp.tls-cipher',
      'smtp.certificate',
      'smtp.banner',
      'smtp.vrfy',
      'smtp.ipv6',
    ]);
    for (const x of f) expect(x.status, x.id).toBe('pass');
    expect(only(f, 'smtp.starttls').detail).toContain('192.0.2.1, 2001:db8::1');
    expect(only(f, 'smtp.starttls').gdpr).toContain('Art. 32(1)(a)');
    expect(only(f, 'smtp.banner').controls).toEqual(['minimisation.smtp-disclosure']);
    expect(only(f, 'smtp.certificate').detail).toContain('expires in 90 days');
    expect(only(f, 'smtp.tls-version').detail).toContain('TLS 1.0 and 1.1 are refused');
  });

  it('reports refused, timed-out and greylisting addresses as errors, never as missing TLS', () => {
    const mx = { host: HOST, addresses: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] };
    const bare = {
      banner: undefined,
      ehlo: undefined,
      starttls: undefined,
      tls: undefined,
      legacyTls: undefined,
    };
    const f = smtpFindings(
      mx,
      [
        good('192.0.2.1', {
          ...bare,
          connect: { ok: false, reason: 'refused', ms: 1 },
          error: { phase: 'connect', reason: 'refused' },
        }),
        good('192.0.2.2', {
          ...bare,
          connect: { ok: true, ms: 1 },
          error: { phase: 'banner', reason: 'timeout: no reply within 400 ms' },
        }),
        good('192.0.2.3', {
          ...bare,
          banner: { code: 421, text: ['4.7.0 Try again later'] },
          error: { phase: 'banner', reason: 'x' },
        }),
      ],
      { clock },
    );
    const connect = f.filter((x) => x.id === 'smtp.connect');
    expect(connect).toHaveLength(3);
    expect(connect.every((x) => x.status === 'error')).toBe(true);
    expect(connect.map((x) => x.title)).toEqual([
      `${HOST} could not be reached on port 25 (refused)`,
      `${HOST} accepted the connection but sent no SMTP greeting`,
      `${HOST} temporarily refused the session (421 greeting)`,
    ]);
    expect(f.some((x) => x.id === 'smtp.starttls')).toBe(false);
    expect(f.some((x) => x.status === 'fail')).toBe(false);
  });

  it('fails a server without STARTTLS, with a Postfix remedy', () => {
    const f = smtpFindings(
      { host: HOST, addresses: ['192.0.2.1'] },
      [
        good('192.0.2.1', {
          ehlo: { code: 250, lines: [HOST], extensions: [] },
          starttls: { offered: false, ok: false },
          tls: undefined,
          legacyTls: undefined,
        }),
      ],
      { clock },
    );
    const s = only(f, 'smtp.starttls');
    expect([s.status, s.severity]).toEqual(['fail', 'high']);
    expect(s.remediation).toContain('smtpd_tls_security_level = may');
    expect(f.some((x) => x.id === 'smtp.certificate')).toBe(false);
  });

  it('reports 454 to STARTTLS as an error that leaves mail in clear text', () => {
    const f = smtpFindings(
      { host: HOST, addresses: ['192.0.2.1'] },
      [
        good('192.0.2.1', {
          starttls: { offered: true, ok: false, code: 454, error: '454 4.7.0 TLS not available' },
          tls: undefined,
          error: { phase: 'starttls', reason: 'x' },
        }),
      ],
      { clock },
    );
    const s = only(f, 'smtp.starttls');
    expect([s.status, s.severity]).toEqual(['error', 'high']);
    expect(s.title).toContain('454');
  });

  it('fails TLS 1.0-only and flags legacy versions next to modern ones', () => {
    const only10 = good('192.0.2.1', {
      tls: undefined,
      legacyTls: { TLSv1: 'accepted', 'TLSv1.1': 'refused' },
      error: { phase: 'tls', reason: 'TLS handshake failed' },
    });
    const mixed = good('192.0.2.2', { legacyTls: { TLSv1: 'accepted', 'TLSv1.1': 'accepted' } });
    const f = smtpFindings({ host: HOST, addresses: ['192.0.2.1', '192.0.2.2'] }, [only10, mixed], { clock });
    const versions = f.filter((x) => x.id === 'smtp.tls-version');
    expect(versions.map((x) => [x.status, x.severity])).toEqual([
      ['fail', 'high'],
      ['fail', 'medium'],
    ]);
    expect(versions[1]?.remediation).toContain('smtpd_tls_protocols = >=TLSv1.2');
    expect(f.find((x) => x.id === 'smtp.starttls' && x.status === 'fail')?.title).toContain('obsolete TLS');
  });

  it('fails weak ciphers and warns without forward secrecy', () => {
    const tls = good().tls!;
    const f = smtpFindings(
      { host: HOST, addresses: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] },
      [
        good('192.0.2.1', {
          tls: { ...tls, protocol: 'TLSv1.2', cipher: 'DES-CBC3-SHA', forwardSecrecy: false },
        }),
        good('192.0.2.2', {
          tls: { ...tls, protocol: 'TLSv1.2', cipher: 'AES128-GCM-SHA256', forwardSecrecy: false },
        }),
        good('192.0.2.3', {
          tls: { ...tls, protocol: 'TLSv1.2', cipher: 'NULL-SHA256', forwardSecrecy: false },
        }),
      ],
      { clock },
    );
    const c = f.filter((x) => x.id === 'smtp.tls-cipher').map((x) => [x.status, x.severity]);
    expect(c).toEqual([
      ['fail', 'medium'],
      ['warn', 'low'],
      ['fail', 'critical'],
    ]);
  });

  it('judges certificates: expired, untrusted, wrong name, soon expiring, weak key', async () => {
    const expired = summarizeCertificate(
      (await ca.issue({ names: [HOST], notAfter: new Date('2029-12-01T00:00:00Z') })).certDer,
    )!;
    const soon = summarizeCertificate(
      (await ca.issue({ names: [HOST], notAfter: new Date('2030-01-06T00:00:00Z') })).certDer,
    )!;
    const weak = summarizeCertificate((await ca.issue({ names: [HOST], key: 'rsa1024' })).certDer)!;
    const selfSigned = summarizeCertificate((await ca.issue({ names: [HOST], selfSigned: true })).certDer)!;
    const tls = good().tls!;
    const cases: [Partial<NonNullable<SmtpProbeResult['tls']>>, string, string, string][] = [
      [
        { chain: [expired], authorized: false, authorizationError: 'CERT_HAS_EXPIRED' },
        'fail',
        'high',
        'expired on 2029-12-01',
      ],
      [
        { chain: [selfSigned], authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
        'fail',
        'high',
        'self-signed',
      ],
      [{ nameMatches: false }, 'fail', 'high', `not for ${HOST}`],
      [{ chain: [soon] }, 'warn', 'medium', 'expires in 5 days'],
      [{ chain: [weak] }, 'warn', 'medium', 'RSA key of 1024 bits'],
      [{ chain: [{ ...weak, keyBits: 512 }] }, 'fail', 'high', 'only 512 bits'],
      [{ chain: [] }, 'fail', 'high', 'no certificate'],
    ];
    for (const [patch, status, severity, text] of cases) {
      const f = smtpFindings(
        { host: HOST, addresses: ['192.0.2.1'] },
        [good('192.0.2.1', { tls: { ...tls, ...patch } })],
        { clock },
      );
      const cert = only(f, 'smtp.certificate');
      expect([cert.status, cert.severity, cert.title], text).toEqual([
        status,
        severity,
        expect.stringContaining(text),
      ]);
    }
    // Several problems are all named, the worst decides.
    const f = smtpFindings(
      { host: HOST, addresses: ['192.0.2.1'] },
      [good('192.0.2.1', { tls: { ...tls, chain: [soon], nameMatches: false } })],
      { clock },
    );
    expect(only(f, 'smtp.certificate').title).toMatch(/2 problems: .*not for .*expires in 5 days/);
    expect(only(f, 'smtp.certificate').status).toBe('fail');
  });

  it('warns about disclosed software in the banner or greeting', () => {
    const f = smtpFindings(
      { host: HOST, addresses: ['192.0.2.1'] },
      [
        good('192.0.2.1', {
          banner: { code: 220, text: [`${HOST} ESMTP Exim 4.96 Mon, 01 Jan 2030 00:00:00 +0000`] },
        }),
      ],
      { clock },
    );
    const b = only(f, 'smtp.banner');
    expect([b.status, b.severity]).toEqual(['warn', 'low']);
    expect(b.title).toContain('Exim 4.96');
    expect(b.remediation).toContain('smtpd_banner = $myhostname ESMTP');
  });

  it('fails VRFY/EXPN that confirm mailboxes and keeps reply texts out of the verdict', () => {
    const confirm = good('192.0.2.1', { vrfy: { code: 252, text: '2.0.0 <postmaster@example.test>' } });
    const generic = good('192.0.2.2', {
      vrfy: { code: 252, text: '2.0.0 Cannot VRFY user, but will accept message' },
    });
    const expn = good('192.0.2.3', { expn: { code: 250, text: '2.1.5 Jane Doe <jane@example.test>' } });
    const f = smtpFindings(
      { host: HOST, addresses: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] },
      [confirm, generic, expn],
      { clock },
    );
    const v = f.filter((x) => x.id === 'smtp.vrfy');
    expect(v.map((x) => x.status)).toEqual(['fail', 'pass', 'fail']);
    expect(v[0]?.remediation).toContain('disable_vrfy_command = yes');
    // The transcript is the only place reply texts (which may name people) are kept.
    for (const x of v) expect(`${x.title} ${x.detail}`).not.toMatch(/jane|postmaster@/i);
    const per = (v[2]?.evidence as { addresses: Record<string, unknown>[] }).addresses[0];
    expect([per?.vrfy, per?.expn]).toEqual([502, 250]);
  });

  it('reports relaying only when tested, as critical when open', () => {
    const open = good('192.0.2.1', { relay: { tested: true, acceptedForeignRcpt: true, code: 250 } });
    const closed = good('192.0.2.2', { relay: { tested: true, acceptedForeignRcpt: false, code: 554 } });
    const f = smtpFindings({ host: HOST, addresses: ['192.0.2.1', '192.0.2.2'] }, [open, closed], { clock });
    const r = f.filter((x) => x.id === 'smtp.relay');
    expect(r.map((x) => [x.status, x.severity])).toEqual([
      ['fail', 'critical'],
      ['pass', 'info'],
    ]);
    expect(r[0]?.controls).toEqual(['access.admin']);
    expect(
      smtpFindings({ host: HOST, addresses: ['192.0.2.1'] }, [good()], { clock }).some(
        (x) => x.id === 'smtp.relay',
      ),
    ).toBe(false);
  });

  it('tells IPv6 present and reachable, absent, unreachable and untestable apart', () => {
    const v6 = (patch: Partial<SmtpProbeResult>) => good('2001:db8::1', patch);
    const down = { banner: undefined, ehlo: undefined, starttls: undefined, tls: undefined };
    const ipv6 = (addresses: string[], results: SmtpProbeResult[]) =>
      only(smtpFindings({ host: HOST, addresses }, results, { clock }), 'smtp.ipv6').status;
    expect(ipv6(['192.0.2.1'], [good()])).toBe('info');
    expect(ipv6(['192.0.2.1', '2001:db8::1'], [good(), v6({})])).toBe('pass');
    expect(
      ipv6(
        ['192.0.2.1', '2001:db8::1'],
        [good(), v6({ ...down, connect: { ok: false, reason: 'refused', ms: 1 } })],
      ),
    ).toBe('fail');
    expect(
      ipv6(
        ['192.0.2.1', '2001:db8::1'],
        [good(), v6({ ...down, connect: { ok: false, reason: 'unreachable', ms: 1 } })],
      ),
    ).toBe('error');
  });

  it('says so when nothing could be probed', () => {
    const f = smtpFindings({ host: HOST, addresses: [] }, [], { clock });
    expect(f).toHaveLength(1);
    expect([f[0]?.id, f[0]?.status]).toEqual(['smtp.connect', 'error']);
  });
});
