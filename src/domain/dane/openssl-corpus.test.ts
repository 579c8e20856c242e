/**
 * OpenSSL's DANE test vectors (test/danetest.in, test/dane-cross.in; Apache-2.0), read from the shared
 * corpus at run time. Each block gives TLSA records, a served chain, whether name checks are off, the
 * verification result OpenSSL expects and the depth of the matching record.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TlsaData } from '../../dns/types.js';
import { matchTlsa, type TlsaMatch } from './match.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DIR = resolve(ROOT, '../shared/corpora/conformance-dane-tlsa-openssl/test');

interface Block {
  line: number;
  noNameChecks: boolean;
  result: number;
  depth: number;
  records: TlsaData[];
  chain: Buffer[];
}

function parseBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\d+) (\d+) (\d+) (-?\d+) (-?\d+)\s*$/.exec(lines[i]!);
    if (!m) continue;
    const [nTlsa, nCerts, noName, result, depth] = m.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const records: TlsaData[] = [];
    let j = i + 1;
    while (records.length < nTlsa) {
      const t = /^(\d+) (\d+) (\d+) ([0-9A-Fa-f]+)\s*$/.exec(lines[j++]!);
      if (t)
        records.push({ usage: +t[1]!, selector: +t[2]!, matchingType: +t[3]!, data: t[4]!.toLowerCase() });
    }
    const chain: Buffer[] = [];
    while (chain.length < nCerts) {
      if (lines[j++]?.startsWith('-----BEGIN CERTIFICATE-----')) {
        let b64 = '';
        while (!lines[j]!.startsWith('-----END')) b64 += lines[j++]!.trim();
        chain.push(Buffer.from(b64, 'base64'));
      }
    }
    blocks.push({ line: i + 1, noNameChecks: noName === 1, result, depth, records, chain });
    i = j - 1;
  }
  return blocks;
}

function pemCerts(text: string): X509Certificate[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new X509Certificate(m[0]),
  );
}

/**
 * PKIX usages (0/1) are judged by OpenSSL on the chain it builds with its trust store (danetest.pem),
 * not only on what the server sent, so for those records the store's issuers are appended.
 */
function withStore(chain: Buffer[], store: X509Certificate[]): Buffer[] {
  const out = [...chain];
  for (let guard = 0; guard < store.length && out.length > 0; guard++) {
    const top = new X509Certificate(out[out.length - 1]!);
    if (top.checkIssued(top)) break;
    const issuer = store.find((s) => top.checkIssued(s) && top.verify(s.publicKey));
    if (!issuer) break;
    out.push(Buffer.from(issuer.raw));
  }
  return out;
}

/** The depth OpenSSL reports: usable (DANE) matches rank first, then the lowest depth. */
function reportedDepth(matches: TlsaMatch[]): number {
  const hit = matches.filter((m) => m.matched);
  const dane = hit.filter((m) => m.usable);
  const pool = dane.length > 0 ? dane : hit;
  return pool.length === 0 ? -1 : Math.min(...pool.map((m) => m.matchedDepth ?? 0));
}

const X509_V_OK = 0;
const X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20;
const X509_V_ERR_HOSTNAME_MISMATCH = 62;
const X509_V_ERR_DANE_NO_MATCH = 65;

for (const [file, baseDomain] of [
  ['danetest.in', 'example.com'],
  ['dane-cross.in', 'server.example'],
] as const) {
  const path = resolve(DIR, file);
  describe.skipIf(!existsSync(path))(`OpenSSL DANE vectors: ${file}`, () => {
    const blocks = existsSync(path) ? parseBlocks(readFileSync(path, 'utf8')) : [];
    const storePath = resolve(DIR, 'danetest.pem');
    const store = existsSync(storePath) ? pemCerts(readFileSync(storePath, 'utf8')) : [];

    it('has the vectors the corpus describes', () => {
      expect(blocks.length).toBeGreaterThan(file === 'danetest.in' ? 50 : 0);
      for (const b of blocks) expect(b.chain.length + b.records.length).toBeGreaterThan(0);
    });

    for (const b of blocks) {
      it(`block at line ${b.line}: expects result ${b.result}, depth ${b.depth}`, () => {
        const chain = b.records.every((r) => r.usage < 2) ? withStore(b.chain, store) : b.chain;
        const matches = matchTlsa(b.records, chain, b.noNameChecks ? {} : { names: [baseDomain] });
        const depth = reportedDepth(matches);
        switch (b.result) {
          case X509_V_OK:
          case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
            // 20 is a PKIX path failure after the TLSA record matched: the match depth is still given.
            expect(depth).toBe(b.depth);
            break;
          case X509_V_ERR_DANE_NO_MATCH:
            expect(matches.some((m) => m.matched)).toBe(false);
            break;
          case X509_V_ERR_HOSTNAME_MISMATCH:
            // RFC 7672 §3.2.3: SMTP ignores names for DANE-EE(3), where OpenSSL checks them unless told
            // not to; DANE-TA(2) must fail on the name as OpenSSL does.
            for (const m of matches) {
              if (m.usage === 3) expect(m.matched).toBe(true);
              else {
                expect(m.matched, m.reason).toBe(false);
                expect(m.nameMatches).toBe(false);
              }
            }
            break;
          default:
            throw new Error(`unexpected result code ${b.result} in the corpus`);
        }
      });
    }
  });
}
