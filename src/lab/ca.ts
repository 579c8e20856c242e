import type { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { MailcomplyError } from '../core/errors.js';
import { x509 } from './x509.js';

/** A certificate issued by the lab CA, with its private key and the chain a server presents. */
export interface IssuedCert {
  certPem: string;
  keyPem: string;
  certDer: Buffer;
  /** Leaf followed by the intermediates (never the root): what a server sends. */
  chainPem: string;
}

/** Key types the lab can issue: EC P-256 is the fast default; RSA-1024 exists for "weak key" cases. */
export type LabKeyType = 'ec256' | 'rsa2048' | 'rsa1024';

/** What a leaf certificate should look like. */
export interface IssueOptions {
  /** DNS names (or IP literals) for the subjectAltName; the first is also the subject CN. */
  names: string[];
  notBefore?: Date;
  /** A date in the past gives an expired certificate. */
  notAfter?: Date;
  key?: LabKeyType;
  /** Signed by its own key instead of the lab CA (subject = issuer). */
  selfSigned?: boolean;
  /** Signed by the lab intermediate, which then travels in `chainPem`. */
  viaIntermediate?: boolean;
}

/** The lab certificate authority: a root generated at start, issuing leaf certificates. */
export interface LabCa {
  /** The lab root, to pass as `ca` to clients that should trust the lab. */
  certPem: string;
  certDer: Buffer;
  issue(o: IssueOptions): Promise<IssuedCert>;
}

const DAY_MS = 86_400_000;
/** Leaves are backdated a little so clock skew between "now" and the TLS stack never matters. */
const LEAF_BACKDATE_MS = 3_600_000;
const LEAF_DEFAULT_LIFETIME_MS = 90 * DAY_MS;
/** The CA certificates outlive anything a lab run or a test could ask of them. */
const CA_BACKDATE_MS = 365 * DAY_MS;
const CA_LIFETIME_MS = 10 * 365 * DAY_MS;

const EC_P256: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};

function algorithmFor(
  key: LabKeyType,
): webcrypto.RsaHashedKeyGenParams | (webcrypto.EcKeyGenParams & webcrypto.EcdsaParams) {
  if (key === 'ec256') return EC_P256;
  return {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: key === 'rsa1024' ? 1024 : 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
}

function generateKeys(key: LabKeyType): Promise<webcrypto.CryptoKeyPair> {
  // Sign/verify key generation always yields a pair; the overloads cannot tell from a union algorithm.
  return globalThis.crypto.subtle.generateKey(algorithmFor(key), true, [
    'sign',
    'verify',
  ]) as Promise<webcrypto.CryptoKeyPair>;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await globalThis.crypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A positive 128-bit serial, as CAs are expected to use (CA/B Forum: at least 64 random bits). */
function randomSerial(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return Buffer.from(bytes).toString('hex');
}

function pemOf(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

/** Characters that would change the meaning of an RFC 4514 distinguished name. */
function dnValue(value: string): string {
  return value.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`);
}

interface Authority {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

async function createAuthority(
  name: string,
  validity: { notBefore: Date; notAfter: Date },
  issuer?: Authority,
): Promise<Authority> {
  const keys = await generateKeys('ec256');
  const extensions: x509.Extension[] = [
    // Path length 0 on the intermediate: it may only sign leaves.
    new x509.BasicConstraintsExtension(true, issuer ? 0 : undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: issuer ? issuer.cert.subject : name,
    ...validity,
    signingAlgorithm: EC_P256,
    publicKey: keys.publicKey,
    signingKey: (issuer ?? { keys }).keys.privateKey,
    extensions,
  });
  return { cert, keys };
}

function subjectAltNames(names: string[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension(
    names.map((value) => (isIP(value) ? { type: 'ip' as const, value } : { type: 'dns' as const, value })),
    false,
  );
}

/**
 * Creates a lab CA: a fresh EC P-256 root (and, on first use, an intermediate) living only in memory.
 * @example const ca = await createLabCa(); const { chainPem, keyPem } = await ca.issue({ names: ['mx1.example.test'] });
 */
export async function createLabCa(o: { now?: Date } = {}): Promise<LabCa> {
  const now = o.now ?? new Date();
  const caValidity = {
    notBefore: new Date(now.getTime() - CA_BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
  };
  const root = await createAuthority('CN=mailcomply lab root CA, O=mailcomply lab', caValidity);
  let intermediate: Promise<Authority> | undefined;
  const getIntermediate = () =>
    (intermediate ??= createAuthority(
      'CN=mailcomply lab intermediate CA, O=mailcomply lab',
      caValidity,
      root,
    ));

  return {
    certPem: pemOf(root.cert),
    certDer: Buffer.from(root.cert.rawData),
    async issue(opts) {
      if (opts.names.length === 0)
        throw new MailcomplyError('E_LAB', 'a lab certificate needs at least one name');
      const notAfter = opts.notAfter ?? new Date(now.getTime() + LEAF_DEFAULT_LIFETIME_MS);
      // An expired certificate still needs notBefore < notAfter, so it is backdated from its end.
      const notBefore =
        opts.notBefore ??
        new Date(Math.min(now.getTime() - LEAF_BACKDATE_MS, notAfter.getTime() - LEAF_DEFAULT_LIFETIME_MS));
      const keyType = opts.key ?? 'ec256';
      const keys = await generateKeys(keyType);
      const signer = opts.selfSigned ? { keys } : opts.viaIntermediate ? await getIntermediate() : root;
      const subject = `CN=${dnValue(opts.names[0] ?? '')}`;
      const usages =
        keyType === 'ec256'
          ? x509.KeyUsageFlags.digitalSignature
          : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(usages, true),
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        subjectAltNames(opts.names),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ];
      if (!opts.selfSigned) {
        extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signer.keys.publicKey));
      }
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject,
        issuer: 'cert' in signer ? signer.cert.subject : subject,
        notBefore,
        notAfter,
        signingAlgorithm: 'cert' in signer ? EC_P256 : algorithmFor(keyType),
        publicKey: keys.publicKey,
        signingKey: signer.keys.privateKey,
        extensions,
      });
      const certPem = pemOf(cert);
      const chain =
        opts.viaIntermediate && !opts.selfSigned
          ? [certPem, pemOf((await getIntermediate()).cert)]
          : [certPem];
      return {
        certPem,
        keyPem: await privateKeyPem(keys.privateKey),
        certDer: Buffer.from(cert.rawData),
        chainPem: chain.join(''),
      };
    },
  };
}
