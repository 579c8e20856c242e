import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TlsaData } from '../../dns/types.js';
import { createLabCa, type LabCa } from '../../lab/ca.js';
import { bestMatch, matchTlsa, parameterProblem } from './match.js';
import { tlsaFromCertificate } from './tlsa.js';

const MX = 'mx.example.test';

/** DER certificates of a PEM bundle, in order. */
function ders(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) =>
    Buffer.from(new X509Certificate(m[0]).raw),
  );
}

let ca: LabCa;
let otherCa: LabCa;
/** Leaf signed by the lab intermediate, then the intermediate (what a server sends). */
let chain: Buffer[];
/** A leaf straight from the root, and the root itself. */
let direct: Buffer[];
let root: Buffer;
let expired: Buffer[];
let wrongName: Buffer[];
let stranger: Buffer;

beforeAll(async () => {
  ca = await createLabCa();
  otherCa = await createLabCa();
  chain = ders((await ca.issue({ names: [MX], viaIntermediate: true })).chainPem);
  direct = ders((await ca.issue({ names: [MX] })).chainPem);
  root = ca.certDer;
  expired = ders(
    (await ca.issue({ names: [MX], viaIntermediate: true, notAfter: new Date(Date.now() - 86_400_000) }))
      .chainPem,
  );
  wrongName = ders((await ca.issue({ names: ['other.example.test'], viaIntermediate: true })).chainPem);
  stranger = (await otherCa.issue({ names: [MX] })).certDer;
});

const rec = (der: Buffer, usage: number, selector = 1, matchingType = 1): TlsaData =>
  tlsaFromCertificate(der, usage, selector, matchingType);

describe('matchTlsa: DANE-EE(3)', () => {
  it.each([
    [1, 1],
    [0, 1],
    [1, 2],
    [0, 2],
    [1, 0],
    [0, 0],
  ])('matches the leaf with selector %i, matching type %i', (selector, mt) => {
    const [m] = matchTlsa([rec(chain[0]!, 3, selector, mt)], chain);
    expect(m).toMatchObject({ matched: true, matchedDepth: 0, usable: true });
  });

  it('does not match another certificate, nor an issuer in the chain', () => {
    const [a, b] = matchTlsa([rec(stranger, 3), rec(chain[1]!, 3)], chain);
    expect(a!.matched).toBe(false);
    expect(b!.matched).toBe(false);
    expect(a!.reason).toMatch(/does not match the leaf/);
  });

  it('ignores names and dates (RFC 7672 §3.1.1)', () => {
    expect(matchTlsa([rec(expired[0]!, 3)], expired, { names: [MX], now: new Date() })[0]!.matched).toBe(
      true,
    );
    expect(matchTlsa([rec(wrongName[0]!, 3)], wrongName, { names: [MX] })[0]!.matched).toBe(true);
  });
});

describe('matchTlsa: DANE-TA(2)', () => {
  it('matches the intermediate the server sends, at depth 1', () => {
    const [m] = matchTlsa([rec(chain[1]!, 2)], chain, { names: [MX] });
    expect(m).toMatchObject({ matched: true, matchedDepth: 1, usable: true, nameMatches: true });
  });

  it('matches a root the server includes, at depth 2', () => {
    const [m] = matchTlsa([rec(root, 2)], [...chain, root], { names: [MX] });
    expect(m).toMatchObject({ matched: true, matchedDepth: 2 });
  });

  it('does not match a root digest the server does not send', () => {
    const [m] = matchTlsa([rec(root, 2)], chain);
    expect(m!.matched).toBe(false);
    expect(m!.reason).toMatch(/no issuer certificate in the served chain/);
  });

  it('uses a full trust anchor held in the record (2 0 0 and 2 1 0)', () => {
    const [full, key] = matchTlsa([rec(root, 2, 0, 0), rec(root, 2, 1, 0)], chain, { names: [MX] });
    expect(full).toMatchObject({ matched: true, matchedDepth: 2, anchorFromDns: true });
    // A bare key is reported at the depth of the certificate it signs, as OpenSSL does.
    expect(key).toMatchObject({ matched: true, matchedDepth: 1, anchorFromDns: true });
  });

  it('never matches the leaf itself', () => {
    expect(matchTlsa([rec(direct[0]!, 2)], direct)[0]!.matched).toBe(false);
  });

  it('requires the matched certificate to sign its way down to the leaf', () => {
    // The other CA's certificate is in the served chain but signed nothing in it.
    const [m] = matchTlsa([rec(otherCa.certDer, 2)], [...chain, otherCa.certDer]);
    expect(m!.matched).toBe(false);
    expect(m!.reason).toMatch(/not signed by it/);
  });

  it('requires the leaf to be valid for the MX name', () => {
    const [m] = matchTlsa([rec(wrongName[1]!, 2)], wrongName, { names: [MX] });
    expect(m).toMatchObject({ matched: false, nameMatches: false });
    expect(m!.reason).toMatch(/not valid for mx\.example\.test/);
    expect(matchTlsa([rec(wrongName[1]!, 2)], wrongName)[0]!.matched).toBe(true);
  });

  it('checks validity dates when asked', () => {
    const [m] = matchTlsa([rec(expired[1]!, 2)], expired, { now: new Date() });
    expect(m!.matched).toBe(false);
    expect(m!.reason).toMatch(/depth 0 is expired/);
  });
});

describe('matchTlsa: unusable and malformed records', () => {
  it('matches PKIX usages but marks them unusable for SMTP', () => {
    const [ee, ta] = matchTlsa([rec(chain[0]!, 1), rec(chain[1]!, 0)], chain);
    expect(ee).toMatchObject({ matched: true, usable: false });
    expect(ta).toMatchObject({ matched: true, usable: false });
    expect(ee!.reason).toMatch(/unusable for SMTP/);
    expect(bestMatch([ee!, ta!])).toBeUndefined();
  });

  it.each([
    [{ usage: 3, selector: 2, matchingType: 1, data: 'ab'.repeat(32) }, /selector 2/],
    [{ usage: 3, selector: 1, matchingType: 3, data: 'ab'.repeat(32) }, /matching type 3/],
    [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(31) }, /needs 32 bytes/],
    [{ usage: 3, selector: 1, matchingType: 2, data: 'ab'.repeat(32) }, /needs 64 bytes/],
    [{ usage: 3, selector: 1, matchingType: 0, data: 'xyz' }, /not hexadecimal/],
    [{ usage: 4, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }, /usage 4 is not defined/],
  ])('rejects %j', (r, message) => {
    const [m] = matchTlsa([r], chain);
    expect(m).toMatchObject({ matched: false, usable: false });
    expect(m!.reason).toMatch(message);
    expect(parameterProblem(r)).toMatch(message);
  });

  it('handles an empty or garbage chain', () => {
    const r = rec(chain[0]!, 3);
    expect(matchTlsa([r], [])[0]!.reason).toMatch(/no certificate was served/);
    expect(matchTlsa([r], [Buffer.from('garbage')])[0]!.reason).toMatch(/could not be parsed/);
  });

  it('never throws on arbitrary records and chains (property)', () => {
    const record = fc.record({
      usage: fc.integer({ min: 0, max: 255 }),
      selector: fc.integer({ min: 0, max: 255 }),
      matchingType: fc.integer({ min: 0, max: 255 }),
      data: fc.oneof(fc.stringMatching(/^[0-9a-f]{0,200}$/), fc.string()),
    });
    const der = fc.oneof(
      fc.constantFrom(...chain, root),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 4 }), fc.array(der, { maxLength: 4 }), (records, ders) => {
        const out = matchTlsa(records, ders, { names: [MX], now: new Date() });
        expect(out).toHaveLength(records.length);
        for (const m of out) if (m.usable) expect([2, 3]).toContain(m.usage);
      }),
      { numRuns: 200 },
    );
  });
});

describe('bestMatch', () => {
  it('prefers DANE-EE, then the lowest DANE-TA depth', () => {
    const matches = matchTlsa([rec(root, 2), rec(chain[1]!, 2), rec(chain[0]!, 3)], [...chain, root], {
      names: [MX],
    });
    expect(bestMatch(matches)).toMatchObject({ usage: 3, matchedDepth: 0 });
    expect(bestMatch(matches.slice(0, 2))).toMatchObject({ usage: 2, matchedDepth: 1 });
  });
});
