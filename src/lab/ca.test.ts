import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { checkServerIdentity, connect, createServer, type PeerCertificate } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLabCa, type IssuedCert, type LabCa } from './ca.js';

interface HandshakeResult {
  authorized: boolean;
  authorizationError?: string;
  peer: PeerCertificate;
  chainLength: number;
}

/** A real TLS handshake on loopback: the server presents `cert`, the client trusts only `ca`. */
async function handshake(cert: IssuedCert, ca: string, servername: string): Promise<HandshakeResult> {
  const server = createServer({ key: cert.keyPem, cert: cert.chainPem, ciphers: 'DEFAULT@SECLEVEL=0' }, (s) =>
    s.end(),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    let chainLength = 0;
    for (let c = socket.getPeerCertificate(true); c && chainLength < 5; c = c.issuerCertificate) {
      chainLength++;
      if (c.issuerCertificate === c) break;
    }
    const result: HandshakeResult = {
      authorized: socket.authorized,
      authorizationError: socket.authorizationError?.toString(),
      peer: socket.getPeerCertificate(),
      chainLength,
    };
    socket.destroy();
    return result;
  } finally {
    server.close();
  }
}

describe('createLabCa', () => {
  let ca: LabCa;
  beforeAll(async () => {
    ca = await createLabCa();
  });

  it('has a self-signed CA root', () => {
    const root = new X509Certificate(ca.certPem);
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(Buffer.compare(root.raw, ca.certDer)).toBe(0);
  });

  it('issues a leaf that node tls accepts with the root as ca, for its names', async () => {
    const leaf = await ca.issue({ names: ['mx1.example.test', 'mx.example.test'] });
    const r = await handshake(leaf, ca.certPem, 'mx1.example.test');
    expect(r.authorized).toBe(true);
    expect(r.peer.subject.CN).toBe('mx1.example.test');
    expect(r.peer.subjectaltname).toBe('DNS:mx1.example.test, DNS:mx.example.test');
    expect(checkServerIdentity('mx.example.test', r.peer)).toBeUndefined();
    expect(checkServerIdentity('other.example.test', r.peer)).toBeInstanceOf(Error);
    const x = new X509Certificate(leaf.certPem);
    expect(x.ca).toBe(false);
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(Buffer.compare(x.raw, leaf.certDer)).toBe(0);
    expect(x.publicKey.asymmetricKeyType).toBe('ec');
    expect(createPrivateKey(leaf.keyPem).asymmetricKeyType).toBe('ec');
  });

  it('does not verify against another lab root', async () => {
    const other = await createLabCa();
    const leaf = await ca.issue({ names: ['mx1.example.test'] });
    const r = await handshake(leaf, other.certPem, 'mx1.example.test');
    expect(r.authorized).toBe(false);
    expect(r.authorizationError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to get local issuer/i);
  });

  it('rejects an expired leaf', async () => {
    const notAfter = new Date(Date.now() - 86_400_000);
    const leaf = await ca.issue({ names: ['old.example.test'], notAfter });
    const x = new X509Certificate(leaf.certPem);
    expect(new Date(x.validTo).getTime()).toBeLessThan(Date.now());
    expect(new Date(x.validFrom).getTime()).toBeLessThan(new Date(x.validTo).getTime());
    const r = await handshake(leaf, ca.certPem, 'old.example.test');
    expect(r.authorized).toBe(false);
    expect(r.authorizationError).toBe('CERT_HAS_EXPIRED');
  });

  it('rejects a leaf that is not yet valid', async () => {
    const notBefore = new Date(Date.now() + 86_400_000);
    const leaf = await ca.issue({
      names: ['new.example.test'],
      notBefore,
      notAfter: new Date(Date.now() + 2 * 86_400_000),
    });
    const r = await handshake(leaf, ca.certPem, 'new.example.test');
    expect(r.authorizationError).toBe('CERT_NOT_YET_VALID');
  });

  it('issues self-signed leaves that the lab root does not vouch for', async () => {
    const leaf = await ca.issue({ names: ['self.example.test'], selfSigned: true });
    const x = new X509Certificate(leaf.certPem);
    expect(x.subject).toBe(x.issuer);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(leaf.chainPem).toBe(leaf.certPem);
    const r = await handshake(leaf, ca.certPem, 'self.example.test');
    expect(r.authorized).toBe(false);
    expect(r.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('chains through the intermediate, which the server sends', async () => {
    const leaf = await ca.issue({ names: ['deep.example.test'], viaIntermediate: true });
    expect(leaf.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(leaf.chainPem.startsWith(leaf.certPem)).toBe(true);
    const x = new X509Certificate(leaf.certPem);
    expect(x.checkIssued(new X509Certificate(ca.certPem))).toBe(false);
    const r = await handshake(leaf, ca.certPem, 'deep.example.test');
    expect(r.authorized).toBe(true);
    expect(r.chainLength).toBe(3);
    // The intermediate is made once and reused.
    const again = await ca.issue({ names: ['deep2.example.test'], viaIntermediate: true });
    expect(again.chainPem.slice(again.certPem.length)).toBe(leaf.chainPem.slice(leaf.certPem.length));
  });

  it.each([
    ['rsa1024', 1024],
    ['rsa2048', 2048],
  ] as const)('issues %s keys', async (key, bits) => {
    const leaf = await ca.issue({ names: ['rsa.example.test'], key });
    const x = new X509Certificate(leaf.certPem);
    expect(x.publicKey.asymmetricKeyType).toBe('rsa');
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
    expect(createPrivateKey(leaf.keyPem).asymmetricKeyDetails?.modulusLength).toBe(bits);
    const r = await handshake(leaf, ca.certPem, 'rsa.example.test');
    expect(r.authorized).toBe(true);
  });

  it('puts IP literals into iPAddress names', async () => {
    const leaf = await ca.issue({ names: ['127.0.0.9'] });
    expect(new X509Certificate(leaf.certPem).subjectAltName).toBe('IP Address:127.0.0.9');
  });

  it('refuses to issue a certificate without names', async () => {
    await expect(ca.issue({ names: [] })).rejects.toMatchObject({ code: 'E_LAB' });
  });

  it('dates its root from the given now', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const later = await createLabCa({ now });
    const root = new X509Certificate(later.certPem);
    expect(new Date(root.validFrom).getTime()).toBeLessThan(now.getTime());
    expect(new Date(root.validTo).getTime()).toBeGreaterThan(now.getTime() + 365 * 86_400_000);
    const leaf = new X509Certificate((await later.issue({ names: ['a.example.test'] })).certPem);
    expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(now.getTime());
    expect(new Date(leaf.validFrom).getTime()).toBeLessThan(now.getTime());
  });
});
