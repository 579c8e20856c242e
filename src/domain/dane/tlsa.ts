/**
 * TLSA records for SMTP (RFC 7672 §2.2): the lookup at `_25._tcp.<mx>` with its AD bit, and the
 * record a server's certificate calls for, in zone-file form.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { describeError } from '../../core/errors.js';
import type { Rcode, Resolver, TlsaData } from '../../dns/types.js';
import { absolute } from '../tag-list.js';

/** The TLSA answer for one MX host. `error` is set when no usable answer could be had. */
export interface TlsaLookup {
  /** The name queried: `_25._tcp.<mx>`. */
  name: string;
  rcode: Rcode;
  /** Authenticated Data: the answer (or the denial) was DNSSEC-validated by the resolver. */
  ad: boolean;
  records: TlsaData[];
  /** CNAME owners followed on the way to the records. */
  cnames: string[];
  /** Why the lookup could not be completed (resolver failure, SERVFAIL, REFUSED). */
  error?: string;
}

/** The owner name of an SMTP server's TLSA records (RFC 7672 §2.2: port 25, TCP). */
export function tlsaName(mxHost: string, port = 25): string {
  return `_${port}._tcp.${mxHost.toLowerCase().replace(/\.+$/, '')}`;
}

/**
 * Looks up the TLSA records of an MX host through the resolver seam. Never throws: a resolver
 * failure or a SERVFAIL-style rcode comes back in `error`, never as "no records".
 */
export async function lookupTlsa(
  mxHost: string,
  resolver: Resolver,
  signal?: AbortSignal,
): Promise<TlsaLookup> {
  const name = tlsaName(mxHost);
  try {
    const r = await resolver.query(name, 'TLSA', signal ? { signal } : {});
    const out: TlsaLookup = {
      name,
      rcode: r.rcode,
      ad: r.ad,
      records: r.answers.map((a) => ({ ...a.data, data: a.data.data.toLowerCase() })),
      cnames: r.cnames.map((c) => c.name),
    };
    if (r.rcode !== 'NOERROR' && r.rcode !== 'NXDOMAIN') out.error = `resolver answered ${r.rcode}`;
    return out;
  } catch (err) {
    return { name, rcode: 'SERVFAIL', ad: false, records: [], cnames: [], error: describeError(err) };
  }
}

/** The bytes a selector picks from a certificate: 0 the whole DER, 1 the SubjectPublicKeyInfo. */
export function selectorBytes(cert: X509Certificate, selector: number): Buffer | undefined {
  if (selector === 0) return Buffer.from(cert.raw);
  if (selector === 1) return Buffer.from(cert.publicKey.export({ type: 'spki', format: 'der' }));
  return undefined;
}

/** Certificate association data for a matching type: 0 the bytes, 1 SHA-256, 2 SHA-512. */
export function associationData(bytes: Buffer, matchingType: number): Buffer | undefined {
  if (matchingType === 0) return bytes;
  if (matchingType === 1) return createHash('sha256').update(bytes).digest();
  if (matchingType === 2) return createHash('sha512').update(bytes).digest();
  return undefined;
}

/**
 * The TLSA record a certificate calls for. Throws RangeError for an undefined selector or matching
 * type, and the parser's error for a DER that is not a certificate.
 * @example tlsaFromCertificate(leafDer, 3, 1, 1) // { usage: 3, selector: 1, matchingType: 1, data: '…' }
 */
export function tlsaFromCertificate(
  der: Buffer,
  usage: number,
  selector: number,
  matchingType: number,
): TlsaData {
  const bytes = selectorBytes(new X509Certificate(der), selector);
  if (!bytes) throw new RangeError(`TLSA selector ${selector} is not defined`);
  const data = associationData(bytes, matchingType);
  if (!data) throw new RangeError(`TLSA matching type ${matchingType} is not defined`);
  return { usage, selector, matchingType, data: data.toString('hex') };
}

/** A TLSA record in zone-file form: `_25._tcp.mx.example.org. IN TLSA 3 1 1 <hex>`. */
export function tlsaRecordText(owner: string, r: TlsaData): string {
  return `${absolute(owner)} IN TLSA ${r.usage} ${r.selector} ${r.matchingType} ${r.data}`;
}

/** The short `3 1 1` form of a record's parameters. */
export function tlsaParams(r: Pick<TlsaData, 'usage' | 'selector' | 'matchingType'>): string {
  return `${r.usage} ${r.selector} ${r.matchingType}`;
}
