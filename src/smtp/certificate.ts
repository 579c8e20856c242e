/**
 * Certificate summaries: what a reviewer needs to re-derive a verdict (names, validity, key), with the
 * DER kept so DANE can match it.
 */
import { X509Certificate } from 'node:crypto';
import { SMTP_MAX_CHAIN_LENGTH } from '../core/limits.js';
import type { PeerCertificate } from './types.js';

/** Summarises one DER certificate; undefined when it does not parse (a garbage certificate). */
export function summarizeCertificate(der: Buffer): PeerCertificate | undefined {
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch {
    return undefined;
  }
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const out: PeerCertificate = {
    der: der.toString('base64'),
    subject: joinName(x.subject),
    issuer: joinName(x.issuer),
    subjectAltNames: splitAltNames(x.subjectAltName),
    validFrom: isoDate(x.validFrom),
    validTo: isoDate(x.validTo),
    keyType: key.asymmetricKeyType ?? 'unknown',
    fingerprint256: x.fingerprint256,
    selfSigned: isSelfSigned(x),
  };
  const bits = details.modulusLength ?? curveBits(details.namedCurve);
  if (bits !== undefined) out.keyBits = bits;
  return out;
}

/**
 * The chain exactly as the server sent it, in its order, leaf first (Node links each presented
 * certificate to the next one sent). Certificates the verifier added from the trust store are not
 * included: DANE-TA must match a certificate the server actually presents (RFC 7671 §5.2.2).
 */
export function chainFromPeer(leaf: X509Certificate | undefined): PeerCertificate[] {
  const out: PeerCertificate[] = [];
  let cur: X509Certificate | undefined = leaf;
  while (cur && out.length < SMTP_MAX_CHAIN_LENGTH) {
    out.push(summarizeCertificate(cur.raw) ?? unparsable(cur.raw));
    cur = cur.issuerCertificate;
  }
  return out;
}

/** Whole days from `now` until the certificate expires; negative once expired. */
export function daysToExpiry(cert: PeerCertificate, now: Date): number {
  return Math.floor((Date.parse(cert.validTo) - now.getTime()) / 86_400_000);
}

/** A one-line description for details: `CN=mx.example.org, issued by CN=Lab CA, RSA 2048, expires 2030-01-01`. */
export function describeCertificate(cert: PeerCertificate): string {
  const key = cert.keyBits ? `${cert.keyType.toUpperCase()} ${cert.keyBits}` : cert.keyType.toUpperCase();
  return `${cert.subject || '(empty subject)'}, issued by ${cert.issuer || '(empty issuer)'}, ${key}, valid ${cert.validFrom.slice(0, 10)} to ${cert.validTo.slice(0, 10)}`;
}

/** The summary without DER, for evidence where size matters more than re-matching. */
export function certificateEvidence(cert: PeerCertificate): Omit<PeerCertificate, 'der'> {
  const { der: _der, ...rest } = cert;
  return rest;
}

function unparsable(der: Buffer): PeerCertificate {
  return {
    der: der.toString('base64'),
    subject: '',
    issuer: '',
    subjectAltNames: [],
    validFrom: '',
    validTo: '',
    keyType: 'unparsable',
    fingerprint256: '',
    selfSigned: false,
  };
}

function isSelfSigned(x: X509Certificate): boolean {
  if (x.subject !== x.issuer) return false;
  try {
    return x.verify(x.publicKey);
  } catch {
    return false;
  }
}

function joinName(name: string): string {
  return name
    .split('\n')
    .filter((s) => s !== '')
    .join(', ');
}

/** Node prints `DNS:a, DNS:b, IP Address:192.0.2.1`; values with commas come quoted. */
function splitAltNames(san: string | undefined): string[] {
  if (!san) return [];
  const out: string[] = [];
  for (const m of san.matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g)) {
    const kind = m[1]!.trim();
    let value = m[2]!;
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    out.push(kind === 'DNS' ? value : `${kind}:${value}`);
  }
  return out;
}

function isoDate(s: string): string {
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

function curveBits(curve: string | undefined): number | undefined {
  if (!curve) return undefined;
  const m = /(\d{3})/.exec(curve);
  if (m) return Number(m[1]);
  return undefined;
}
