import type { SecureContextOptions } from 'node:tls';
import type { IssuedCert, LabCa } from './ca.js';

/** The one thing wrong with a lab server's TLS, or `none` for a server a scanner should pass. */
export type LabTlsFault = 'none' | 'expired' | 'wrong-name' | 'self-signed' | 'tls10-only' | 'weak-key';

/** The name on the certificate of a `wrong-name` server: under .invalid, so it can never be right. */
export const LAB_WRONG_NAME = 'wrong-name.lab.invalid';

/** How long ago an `expired` lab certificate ran out: long enough that no clock skew hides it. */
const EXPIRED_AGO_MS = 30 * 86_400_000;

/** A certificate and the TLS settings a lab server uses with it. */
export interface LabTls {
  cert: IssuedCert;
  /** Ready for tls.createSecureContext (or any server option bag that forwards to it). */
  options: SecureContextOptions;
}

/** Settings of a well-run server today: TLS 1.2 and 1.3 only, OpenSSL's default ciphers. */
const MODERN: SecureContextOptions = { minVersion: 'TLSv1.2' };

/**
 * OpenSSL 3 refuses TLS 1.0/1.1 and 1024-bit RSA at its default security level; level 0 lets
 * the lab serve them so that a scanner's verdict on them can be tested.
 */
const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';

function issueFor(fault: LabTlsFault, hostname: string, ca: LabCa, now: Date): Promise<IssuedCert> {
  switch (fault) {
    case 'expired':
      return ca.issue({ names: [hostname], notAfter: new Date(now.getTime() - EXPIRED_AGO_MS) });
    case 'wrong-name':
      return ca.issue({ names: [LAB_WRONG_NAME] });
    case 'self-signed':
      return ca.issue({ names: [hostname], selfSigned: true });
    case 'weak-key':
      return ca.issue({ names: [hostname], key: 'rsa1024' });
    default:
      return ca.issue({ names: [hostname] });
  }
}

/**
 * The certificate and TLS settings of a lab server for `hostname` with the given fault. A
 * certificate passed in is used as it is (for TLSA records computed ahead of time).
 */
export async function labTls(
  fault: LabTlsFault,
  hostname: string,
  ca: LabCa,
  o: { cert?: IssuedCert; now?: Date } = {},
): Promise<LabTls> {
  const cert = o.cert ?? (await issueFor(fault, hostname, ca, o.now ?? new Date()));
  const base: SecureContextOptions = { key: cert.keyPem, cert: cert.chainPem };
  if (fault === 'tls10-only') {
    return { cert, options: { ...base, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: LEGACY_CIPHERS } };
  }
  if (fault === 'weak-key') return { cert, options: { ...base, ...MODERN, ciphers: LEGACY_CIPHERS } };
  return { cert, options: { ...base, ...MODERN } };
}
