/** Record types the project queries and parses. */
export type RRType =
  'A' | 'AAAA' | 'MX' | 'TXT' | 'SPF' | 'CNAME' | 'NS' | 'SOA' | 'PTR' | 'TLSA' | 'DS' | 'DNSKEY';

export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED' | string;

export interface MxData {
  preference: number;
  exchange: string;
}
export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface TlsaData {
  usage: number;
  selector: number;
  matchingType: number;
  /** Certificate association data, lower-case hex. */
  data: string;
}
export interface DsData {
  keyTag: number;
  algorithm: number;
  digestType: number;
  /** Lower-case hex. */
  digest: string;
}
export interface DnskeyData {
  flags: number;
  protocol: number;
  algorithm: number;
  /** Base64. */
  publicKey: string;
}

/** Parsed record data by type. TXT strings are joined (RFC 7208 §3.3); `strings` keeps them apart. */
export interface RecordDataMap {
  A: string;
  AAAA: string;
  MX: MxData;
  TXT: { text: string; strings: string[] };
  SPF: { text: string; strings: string[] };
  CNAME: string;
  NS: string;
  SOA: SoaData;
  PTR: string;
  TLSA: TlsaData;
  DS: DsData;
  DNSKEY: DnskeyData;
}

export interface DnsRecord<T extends RRType = RRType> {
  /** Owner name, lower case, no trailing dot. */
  name: string;
  type: T;
  ttl: number;
  data: RecordDataMap[T];
}

/** One answered query. A negative answer (NXDOMAIN, NODATA) is a result, not an error. */
export interface DnsResult<T extends RRType = RRType> {
  name: string;
  type: T;
  rcode: Rcode;
  /** Authenticated Data flag from the (validating) resolver. */
  ad: boolean;
  /** Records of the asked type at the asked name, after following any CNAME chain in the answer. */
  answers: DnsRecord<T>[];
  /** CNAME records seen in the answer section, in chain order. */
  cnames: DnsRecord<'CNAME'>[];
  /** Whether the final answer came over TCP (after truncation). */
  tcp: boolean;
  /** The server that answered, host:port. */
  server: string;
}

export interface QueryOptions {
  signal?: AbortSignal;
}

/**
 * The DNS seam. Implementations throw `DnsError` (codes E_DNS_TIMEOUT, E_DNS_NETWORK,
 * E_DNS_MALFORMED, E_DNS_ABORTED) only when no answer could be had; rcodes are data.
 */
export interface Resolver {
  query<T extends RRType>(name: string, type: T, options?: QueryOptions): Promise<DnsResult<T>>;
}
