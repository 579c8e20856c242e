/**
 * Real public keys for DKIM tests, generated once per test run with node:crypto.
 */
import { generateKeyPairSync } from 'node:crypto';

const cache = new Map<string, string>();

/** Base64 SubjectPublicKeyInfo (or PKCS#1 RSAPublicKey) of a fresh RSA key of `bits` bits. */
export function rsaKey(bits: number, format: 'spki' | 'pkcs1' = 'spki'): string {
  const id = `${bits}/${format}`;
  let key = cache.get(id);
  if (!key) {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    key = publicKey.export({ type: format, format: 'der' }).toString('base64');
    cache.set(id, key);
  }
  return key;
}

/** Base64 of a raw 32-byte Ed25519 public key (RFC 8463), and of its SubjectPublicKeyInfo. */
export function ed25519Key(): { raw: string; spki: string } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    raw: Buffer.from(jwk.x ?? '', 'base64url').toString('base64'),
    spki: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}
