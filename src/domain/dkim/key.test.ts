import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519Key, rsaKey } from '../../../test/unit/support/dkim-keys.js';
import { isUsable, looksLikeDkimKey, parseDkimKey } from './key.js';

describe('parseDkimKey', () => {
  it.each([512, 1024, 2048])('reads the size of a %i-bit RSA SubjectPublicKeyInfo', (bits) => {
    const k = parseDkimKey(`v=DKIM1; k=rsa; p=${rsaKey(bits)}`);
    expect(k).toMatchObject({ keyType: 'rsa', bits, format: 'spki', revoked: false, problems: [] });
  });

  it('accepts a bare PKCS#1 RSAPublicKey with a warning', () => {
    const k = parseDkimKey(`p=${rsaKey(1024, 'pkcs1')}`);
    expect(k).toMatchObject({ bits: 1024, format: 'pkcs1', problems: [] });
    expect(k.warnings.join()).toContain('PKCS#1');
  });

  it('tolerates folding white space inside p=', () => {
    const p = rsaKey(1024);
    const k = parseDkimKey(`v=DKIM1; p=${p.slice(0, 50)} \r\n\t${p.slice(50)}`);
    expect(k.bits).toBe(1024);
  });

  it('reads a raw Ed25519 key and rejects one wrapped in SubjectPublicKeyInfo', () => {
    const { raw, spki } = ed25519Key();
    expect(parseDkimKey(`v=DKIM1; k=ed25519; p=${raw}`)).toMatchObject({
      keyType: 'ed25519',
      bits: 256,
      problems: [],
    });
    expect(parseDkimKey(`v=DKIM1; k=ed25519; p=${spki}`).problems.join()).toContain('raw 32-byte');
  });

  it('rejects an Ed25519 key published under k=rsa', () => {
    const k = parseDkimKey(`k=rsa; p=${ed25519Key().spki}`);
    expect(k.problems.join()).toContain('k= says rsa');
    expect(isUsable(k)).toBe(false);
  });

  it('treats an empty p= as a revoked key', () => {
    const k = parseDkimKey('v=DKIM1; p=');
    expect(k.revoked).toBe(true);
    expect(k.problems).toEqual([]);
    expect(isUsable(k)).toBe(false);
  });

  it('reads flags, hashes and services', () => {
    const k = parseDkimKey(`v=DKIM1; t=y:s; h=sha256; s=email; p=${rsaKey(2048)}`);
    expect(k).toMatchObject({ testing: true, flags: ['y', 's'], hashes: ['sha256'], services: ['email'] });
    expect(isUsable(k)).toBe(true);
  });

  it.each([
    ['v=DKIM2; p=AAAA', 'not DKIM1'],
    ['k=rsa; v=DKIM1; p=AAAA', 'must be the first tag'],
    ['v=DKIM1; k=dsa; p=AAAA', 'not a key type'],
    ['v=DKIM1; h=sha1; p=AAAA', 'RFC 8301'],
    ['v=DKIM1; s=tlsrpt; p=AAAA', 'cannot verify mail'],
    ['v=DKIM1; k=rsa', 'p= tag is missing'],
    ['v=DKIM1; p=not*base64', 'not valid base64'],
    ['v=DKIM1; p=AAAA', 'not a valid RSA public key'],
    ['v=DKIM1; p=AAAA; p=BBBB', 'more than once'],
  ])('reports %s as unusable', (text, message) => {
    const k = parseDkimKey(text);
    expect(k.problems.join('; ')).toContain(message);
    expect(isUsable(k)).toBe(false);
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.base64String().map((b) => `v=DKIM1; p=${b}`),
          fc.base64String().map((b) => `k=ed25519; p=${b}`),
        ),
        (s) => {
          const k = parseDkimKey(s);
          expect(Array.isArray(k.problems)).toBe(true);
          if (k.bits !== undefined) expect(k.bits).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('looksLikeDkimKey', () => {
  it('tells key records from other TXT records', () => {
    expect(looksLikeDkimKey('v=DKIM1; p=')).toBe(true);
    expect(looksLikeDkimKey('k=rsa; p=AAAA')).toBe(true);
    expect(looksLikeDkimKey('v=spf1 -all')).toBe(false);
    expect(looksLikeDkimKey('google-site-verification=abc')).toBe(false);
  });
});
