/**
 * DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463): tags, and the public key's type and size.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { describeTagProblem, parseTagList } from '../tag-list.js';

/** What a DKIM key record says and whether a verifier could use it. */
export interface DkimKey {
  text: string;
  /** `k=`, lower case; `rsa` when absent. */
  keyType: string;
  /** `t=` flags, lower case. */
  flags: string[];
  testing: boolean;
  /** `h=` acceptable hash algorithms, when restricted. */
  hashes?: string[];
  /** `s=` service types, when restricted. */
  services?: string[];
  /** `p=` is empty: the key was revoked (RFC 6376 §3.6.1). */
  revoked: boolean;
  /** RSA modulus length; 256 for Ed25519. */
  bits?: number;
  /** How `p=` was encoded. */
  format?: 'spki' | 'pkcs1' | 'raw';
  /** Defects that make verifiers reject the key. */
  problems: string[];
  /** Defects that verifiers tolerate. */
  warnings: string[];
}

/** True when a TXT string at a selector is meant as a DKIM key (has `v=DKIM1` first or a `p=` tag). */
export function looksLikeDkimKey(text: string): boolean {
  return /^[ \t]*v[ \t]*=[ \t]*DKIM1/.test(text) || /(^|;)[ \t\r\n]*p[ \t\r\n]*=/.test(text);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// RFC 8463 §4.2: an Ed25519 key is the raw 32-byte public key.
const ED25519_RAW_BYTES = 32;

function importRsa(der: Buffer): { key: KeyObject; format: 'spki' | 'pkcs1' } | undefined {
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      return { key: createPublicKey({ key: der, format: 'der', type }), format: type };
    } catch {
      // Not this encoding; try the next.
    }
  }
  return undefined;
}

function readRsa(der: Buffer, out: DkimKey): void {
  const imported = importRsa(der);
  if (!imported) {
    out.problems.push('p= is not a valid RSA public key (neither SubjectPublicKeyInfo nor PKCS#1)');
    return;
  }
  const { key, format } = imported;
  if (key.asymmetricKeyType !== 'rsa') {
    out.problems.push(`p= holds a ${key.asymmetricKeyType ?? 'non-RSA'} key but k= says rsa`);
    return;
  }
  out.format = format;
  out.bits = key.asymmetricKeyDetails?.modulusLength;
  if (format === 'pkcs1')
    out.warnings.push('p= is a bare PKCS#1 RSAPublicKey; RFC 6376 expects SubjectPublicKeyInfo');
}

function readEd25519(der: Buffer, out: DkimKey): void {
  if (der.length !== ED25519_RAW_BYTES) {
    out.problems.push(`p= must be the raw 32-byte Ed25519 key (RFC 8463), not ${der.length} bytes`);
    return;
  }
  out.format = 'raw';
  out.bits = 256;
}

/** Parses a DKIM key record; never throws. */
export function parseDkimKey(text: string): DkimKey {
  const list = parseTagList(text);
  const out: DkimKey = {
    text,
    keyType: 'rsa',
    flags: [],
    testing: false,
    revoked: false,
    problems: [],
    warnings: [],
  };
  for (const p of list.problems) {
    if (p.kind === 'duplicate') out.problems.push(`${describeTagProblem(p)}, which makes the record invalid`);
    else out.warnings.push(describeTagProblem(p));
  }
  const m = list.map;
  const v = m.get('v');
  if (v !== undefined) {
    if (v !== 'DKIM1') out.problems.push(`v=${v} is not DKIM1`);
    else if (list.tags[0]?.name !== 'v') out.problems.push('v=DKIM1 must be the first tag');
  }
  const k = m.get('k');
  if (k !== undefined) out.keyType = k.toLowerCase();
  if (out.keyType !== 'rsa' && out.keyType !== 'ed25519')
    out.problems.push(`k=${k} is not a key type verifiers know`);
  const t = m.get('t');
  if (t !== undefined) {
    out.flags = t
      .split(':')
      .map((f) => f.trim().toLowerCase())
      .filter((f) => f !== '');
    out.testing = out.flags.includes('y');
  }
  const h = m.get('h');
  if (h !== undefined) {
    out.hashes = h.split(':').map((x) => x.trim().toLowerCase());
    if (!out.hashes.includes('sha256')) {
      out.problems.push(`h=${h} does not allow sha256, and RFC 8301 forbids verifying with sha1`);
    }
  }
  const s = m.get('s');
  if (s !== undefined) {
    out.services = s.split(':').map((x) => x.trim().toLowerCase());
    if (!out.services.includes('*') && !out.services.includes('email')) {
      out.problems.push(`s=${s} does not include email, so the key cannot verify mail`);
    }
  }
  const p = m.get('p');
  if (p === undefined) {
    out.problems.push('the required p= tag is missing');
    return out;
  }
  const b64 = p.replace(/[ \t\r\n]+/g, '');
  if (b64 === '') {
    out.revoked = true;
    return out;
  }
  if (!BASE64.test(b64) || b64.length % 4 === 1) {
    out.problems.push('p= is not valid base64');
    return out;
  }
  const der = Buffer.from(b64, 'base64');
  if (out.keyType === 'rsa') readRsa(der, out);
  else if (out.keyType === 'ed25519') readEd25519(der, out);
  return out;
}

/** A key verifiers can use: well formed and not revoked. */
export function isUsable(k: DkimKey): boolean {
  return k.problems.length === 0 && !k.revoked;
}
