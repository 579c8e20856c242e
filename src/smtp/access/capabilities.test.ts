import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCESS_MAX_CAPABILITIES } from '../../core/limits.js';
import { extensions } from '../steps.js';
import { imapCapabilities, pop3Capabilities, smtpCapabilities } from './capabilities.js';
import { cleartextLogin, revealsSecret } from './cleartext.js';
import { accessService } from './services.js';
import type { AccessPort, AccessProbeResult, Capabilities } from './types.js';

const ehlo = (lines: string[], helo = false) => ({
  code: 250,
  lines,
  extensions: extensions(lines),
  ...(helo ? { helo } : {}),
});

describe('capability parsers', () => {
  it('reads SMTP AUTH mechanisms in both spellings, once each', () => {
    const c = smtpCapabilities(
      ehlo(['mx.test', 'PIPELINING', 'AUTH PLAIN login', 'AUTH=PLAIN LOGIN CRAM-MD5', 'STARTTLS']),
    );
    expect(c).toEqual({
      keywords: ['PIPELINING', 'AUTH', 'STARTTLS'],
      mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      listed: true,
    });
    expect(smtpCapabilities(ehlo(['mx.test'], true)).listed).toBe(false);
  });

  it('reads IMAP capabilities from every CAPABILITY line and nothing else', () => {
    const c = imapCapabilities([
      'CAPABILITY IMAP4rev1 STARTTLS auth=plain',
      '1 EXISTS',
      'capability LOGINDISABLED AUTH=SCRAM-SHA-256',
    ]);
    expect(c).toEqual({
      keywords: ['IMAP4REV1', 'STARTTLS', 'LOGINDISABLED'],
      mechanisms: ['PLAIN', 'SCRAM-SHA-256'],
      listed: true,
    });
  });

  it('reads POP3 CAPA keywords and SASL mechanisms', () => {
    expect(pop3Capabilities(['TOP', 'USER', 'SASL PLAIN  LOGIN', 'STLS', ''])).toEqual({
      keywords: ['TOP', 'USER', 'SASL', 'STLS'],
      mechanisms: ['PLAIN', 'LOGIN'],
      listed: true,
    });
  });

  it('never throws, never keeps more than the limit, and keeps only printable tokens', () => {
    const wellFormed = (c: Capabilities) =>
      c.keywords.length <= ACCESS_MAX_CAPABILITIES &&
      c.mechanisms.length <= ACCESS_MAX_CAPABILITIES &&
      [...c.keywords, ...c.mechanisms].every((t) => /^[\x21-\x7e]{1,64}$/.test(t) && t === t.toUpperCase());
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 400 }), { maxLength: 40 }), (lines) => {
        expect(wellFormed(imapCapabilities(lines))).toBe(true);
        expect(wellFormed(pop3Capabilities(lines))).toBe(true);
        expect(wellFormed(smtpCapabilities(ehlo(['mx.test', ...lines])))).toBe(true);
      }),
    );
    const flood = `CAPABILITY ${Array.from({ length: 5_000 }, (_, i) => `X${i} AUTH=M${i}`).join(' ')}`;
    const c = imapCapabilities([flood]);
    expect(c.keywords).toHaveLength(ACCESS_MAX_CAPABILITIES);
    expect(c.mechanisms).toHaveLength(ACCESS_MAX_CAPABILITIES);
  });

  it('finds every listed atom and mechanism again, whatever the case and order', () => {
    const atom = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,15}$/).filter((a) => !/^AUTH/i.test(a));
    fc.assert(
      fc.property(
        fc.uniqueArray(atom, { maxLength: 30, selector: (a) => a.toUpperCase() }),
        fc.uniqueArray(atom, { maxLength: 10, selector: (a) => a.toUpperCase() }),
        (keywords, mechs) => {
          const line = ['CAPABILITY', ...keywords, ...mechs.map((m) => `AUTH=${m}`)].join(' ');
          const c = imapCapabilities([line]);
          expect(c.keywords).toEqual(keywords.map((k) => k.toUpperCase()));
          expect(c.mechanisms).toEqual(mechs.map((m) => m.toUpperCase()));
          const pop = pop3Capabilities([...keywords, ...(mechs.length ? [`SASL ${mechs.join(' ')}`] : [])]);
          expect(pop.mechanisms).toEqual(mechs.map((m) => m.toUpperCase()));
        },
      ),
    );
  });
});

function clearPort(port: AccessPort, c: Capabilities, greeting = 'ready'): AccessProbeResult {
  const s = accessService(port)!;
  return {
    host: 'mail.test',
    address: '192.0.2.1',
    port,
    family: 4,
    service: s.name,
    protocol: s.protocol,
    tlsMode: s.tlsMode,
    connect: { ok: true, ms: 1 },
    greeting: { ok: true, text: [greeting] },
    capabilitiesInClear: c,
    transcript: [],
  };
}

const listed = (keywords: string[], mechanisms: string[] = []): Capabilities => ({
  keywords,
  mechanisms,
  listed: true,
});

describe('cleartextLogin', () => {
  it('does not apply to implicit-TLS ports or to unlisted IMAP/SMTP capabilities', () => {
    expect(cleartextLogin(clearPort(993, listed(['IMAP4REV1'])))).toBeUndefined();
    const r = clearPort(143, listed([]));
    delete r.capabilitiesInClear;
    expect(cleartextLogin(r)).toBeUndefined();
  });

  it('reads IMAP: LOGIN unless LOGINDISABLED, plus every AUTH= mechanism', () => {
    expect(cleartextLogin(clearPort(143, listed(['IMAP4REV1', 'STARTTLS'])))).toEqual({
      methods: ['LOGIN'],
      revealsSecret: true,
    });
    expect(cleartextLogin(clearPort(143, listed(['STARTTLS', 'LOGINDISABLED'])))).toEqual({
      methods: [],
      revealsSecret: false,
    });
    expect(cleartextLogin(clearPort(143, listed(['LOGINDISABLED'], ['CRAM-MD5'])))).toEqual({
      methods: ['AUTHENTICATE CRAM-MD5'],
      revealsSecret: false,
    });
  });

  it('reads SMTP AUTH and POP3 USER, SASL and APOP', () => {
    expect(cleartextLogin(clearPort(587, listed(['AUTH'], ['PLAIN', 'XOAUTH2'])))?.methods).toEqual([
      'AUTH PLAIN',
      'AUTH XOAUTH2',
    ]);
    const pop = cleartextLogin(clearPort(110, listed(['USER', 'SASL'], ['SCRAM-SHA-1']), '<1.2@pop.test>'));
    expect(pop).toEqual({ methods: ['USER/PASS', 'AUTH SCRAM-SHA-1', 'APOP'], revealsSecret: true });
    const unlisted = cleartextLogin(clearPort(110, { keywords: [], mechanisms: [], listed: false }));
    expect(unlisted).toEqual({ methods: ['USER/PASS'], revealsSecret: true, assumed: true });
  });

  it('treats unknown mechanisms as revealing the secret', () => {
    expect(revealsSecret('AUTH PLAIN')).toBe(true);
    expect(revealsSecret('AUTH X-SOMETHING-NEW')).toBe(true);
    expect(revealsSecret('AUTHENTICATE SCRAM-SHA-256-PLUS')).toBe(false);
    expect(revealsSecret('APOP')).toBe(false);
  });
});
