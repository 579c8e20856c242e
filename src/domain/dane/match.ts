/**
 * Matching TLSA records against the certificate chain an SMTP server presented (RFC 6698 §2.1,
 * RFC 7671 §5, RFC 7672 §3.1): DANE-EE(3) pins the leaf and ignores names and dates; DANE-TA(2)
 * pins an issuer in the chain, which must actually sign its way down to a leaf valid for the MX name.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { TlsaData } from '../../dns/types.js';
import { associationData, selectorBytes, tlsaParams } from './tlsa.js';

/** The verdict on one TLSA record. */
export interface TlsaMatch {
  usage: number;
  selector: number;
  matchingType: number;
  data: string;
  /** The served chain satisfies this record (for unusable records: the data matches all the same). */
  matched: boolean;
  /** Depth of the matched certificate, leaf = 0 (for a trust anchor taken from the record, see `anchorFromDns`). */
  matchedDepth?: number;
  /** The record can authenticate an SMTP server: usage 2 or 3 with a defined selector and matching type. */
  usable: boolean;
  /**
   * The record holds the whole trust anchor (certificate or key, matching type 0) that is absent from
   * the chain; `matchedDepth` is then where it would sit (certificate) or the depth it signs (key), as OpenSSL reports it.
   */
  anchorFromDns?: boolean;
  /** For DANE-TA: the leaf is valid for one of the reference names. */
  nameMatches?: boolean;
  /** Why it matched or not, in words. */
  reason: string;
}

export interface MatchOptions {
  /** Reference identifiers for DANE-TA (RFC 7672 §3.2.2: the MX host name). None given: names not checked. */
  names?: string[];
  /** Validity dates of a DANE-TA chain are checked at this time; absent: not checked. */
  now?: Date;
}

const USAGE_NAMES: Record<number, string> = {
  0: 'PKIX-TA(0)',
  1: 'PKIX-EE(1)',
  2: 'DANE-TA(2)',
  3: 'DANE-EE(3)',
};
const DIGEST_HEX_LENGTH: Record<number, number> = { 1: 64, 2: 128 };

/** `DANE-EE(3)`, `PKIX-TA(0)`, or `usage 7`. */
export function usageName(usage: number): string {
  return USAGE_NAMES[usage] ?? `usage ${usage}`;
}

/** What makes a record's parameters or data unusable, or undefined when they are fine. */
export function parameterProblem(r: TlsaData): string | undefined {
  if (!(r.usage in USAGE_NAMES)) return `certificate usage ${r.usage} is not defined (RFC 6698 §2.1.1)`;
  if (r.selector !== 0 && r.selector !== 1) return `selector ${r.selector} is not defined (RFC 6698 §2.1.2)`;
  if (r.matchingType < 0 || r.matchingType > 2) {
    return `matching type ${r.matchingType} is not defined (RFC 6698 §2.1.3)`;
  }
  if (!/^(?:[0-9a-f]{2})+$/i.test(r.data)) return 'the association data is empty or not hexadecimal';
  const want = DIGEST_HEX_LENGTH[r.matchingType];
  if (want !== undefined && r.data.length !== want) {
    return `matching type ${r.matchingType} needs ${want / 2} bytes of data, the record has ${r.data.length / 2}`;
  }
  return undefined;
}

function parse(der: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

function matchesAt(cert: X509Certificate | undefined, r: TlsaData, want: Buffer): boolean {
  if (!cert) return false;
  const bytes = selectorBytes(cert, r.selector);
  const got = bytes ? associationData(bytes, r.matchingType) : undefined;
  return got !== undefined && got.equals(want);
}

function signedBy(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

/** Each certificate from the leaf up to `depth` is issued and signed by the next one. */
function chainsUpTo(certs: (X509Certificate | undefined)[], depth: number): boolean {
  for (let k = 0; k < depth; k++) {
    const child = certs[k];
    const parent = certs[k + 1];
    if (!child || !parent || !child.checkIssued(parent) || !signedBy(child, parent.publicKey)) return false;
  }
  return true;
}

function outsideValidity(cert: X509Certificate, now: Date): boolean {
  const t = now.getTime();
  return t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo);
}

/** A trust anchor held whole in a `2 0 0` or `2 1 0` record: the depth of the certificate it signs. */
function anchorFromRecord(
  r: TlsaData,
  want: Buffer,
  certs: (X509Certificate | undefined)[],
): number | undefined {
  if (r.matchingType !== 0) return undefined;
  let key: KeyObject;
  let anchor: X509Certificate | undefined;
  try {
    anchor = r.selector === 0 ? new X509Certificate(want) : undefined;
    key = anchor ? anchor.publicKey : createPublicKey({ key: want, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i];
    if (!c || (anchor && !c.checkIssued(anchor)) || !signedBy(c, key)) continue;
    if (chainsUpTo(certs, i)) return i;
  }
  return undefined;
}

type Verdict = Pick<TlsaMatch, 'matched' | 'matchedDepth' | 'anchorFromDns' | 'nameMatches' | 'reason'>;

function matchEndEntity(r: TlsaData, want: Buffer, leaf: X509Certificate): Verdict {
  if (matchesAt(leaf, r, want)) {
    const what = r.selector === 1 ? "leaf certificate's public key" : 'leaf certificate';
    return { matched: true, matchedDepth: 0, reason: `matches the ${what}` };
  }
  return { matched: false, reason: 'does not match the leaf certificate' };
}

function matchTrustAnchor(
  r: TlsaData,
  want: Buffer,
  certs: (X509Certificate | undefined)[],
  o: MatchOptions,
): Verdict {
  let depth: number | undefined;
  let fromDns = false;
  let brokenAt: number | undefined;
  for (let d = 1; d < certs.length && depth === undefined; d++) {
    if (!matchesAt(certs[d], r, want)) continue;
    if (chainsUpTo(certs, d)) depth = d;
    else brokenAt ??= d;
  }
  if (depth === undefined) {
    const signs = anchorFromRecord(r, want, certs);
    if (signs !== undefined) {
      fromDns = true;
      depth = r.selector === 0 ? signs + 1 : signs;
    }
  }
  if (depth === undefined) {
    return {
      matched: false,
      reason:
        brokenAt !== undefined
          ? `matches the certificate at depth ${brokenAt}, but the certificates below it are not signed by it`
          : 'matches no issuer certificate in the served chain',
    };
  }
  const where = fromDns
    ? 'the trust anchor in the record, which signs the served chain'
    : `the certificate at depth ${depth}`;
  const leaf = certs[0]!;
  const names = o.names ?? [];
  const out: Verdict = { matched: true, matchedDepth: depth, reason: `matches ${where}` };
  if (fromDns) out.anchorFromDns = true;
  if (names.length > 0) {
    out.nameMatches = names.some((n) => leaf.checkHost(n.replace(/\.$/, '')) !== undefined);
    if (!out.nameMatches) {
      out.matched = false;
      out.reason = `${out.reason}, but the leaf certificate is not valid for ${names.join(' or ')} (RFC 7672 §3.2.2)`;
      return out;
    }
  }
  if (o.now) {
    const upTo = fromDns ? Math.min(depth, certs.length - 1) : depth;
    for (let k = 0; k <= upTo; k++) {
      const c = certs[k];
      if (c && outsideValidity(c, o.now)) {
        out.matched = false;
        out.reason = `${out.reason}, but the certificate at depth ${k} is expired or not yet valid`;
        return out;
      }
    }
  }
  return out;
}

/**
 * Matches each TLSA record against the served chain (DER, leaf first). Usages 0 and 1 are matched
 * for the record but never `usable` for SMTP (RFC 7672 §3.1.3); records with undefined parameters
 * or malformed data match nothing.
 * @example matchTlsa([{ usage: 3, selector: 1, matchingType: 1, data }], [leafDer])[0].matched
 */
export function matchTlsa(records: TlsaData[], chainDer: Buffer[], o: MatchOptions = {}): TlsaMatch[] {
  const certs = chainDer.map(parse);
  const leaf = certs[0];
  return records.map((r) => {
    const base = { usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: r.data };
    const problem = parameterProblem(r);
    if (problem) return { ...base, matched: false, usable: false, reason: problem };
    const usable = r.usage === 2 || r.usage === 3;
    const label = `${usageName(r.usage)} ${tlsaParams(r)}`;
    const unusable = usable ? '' : '; this usage is unusable for SMTP (RFC 7672 §3.1.3)';
    if (!leaf) {
      const why =
        chainDer.length === 0
          ? 'no certificate was served'
          : 'the served leaf certificate could not be parsed';
      return { ...base, matched: false, usable, reason: `${label}: ${why}${unusable}` };
    }
    const want = Buffer.from(r.data, 'hex');
    const v =
      r.usage === 1 || r.usage === 3 ? matchEndEntity(r, want, leaf) : matchTrustAnchor(r, want, certs, o);
    return { ...base, ...v, usable, reason: `${label} ${v.reason}${unusable}` };
  });
}

/** The best usable match: DANE-EE before DANE-TA, then the lowest depth (as OpenSSL ranks them). */
export function bestMatch(matches: TlsaMatch[]): TlsaMatch | undefined {
  const ok = matches.filter((m) => m.usable && m.matched);
  ok.sort((a, b) => b.usage - a.usage || (a.matchedDepth ?? 0) - (b.matchedDepth ?? 0));
  return ok[0];
}
