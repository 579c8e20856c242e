/**
 * Shapes of an SMTP probe: what one connection to one MX address showed. Shared with the
 * MTA-STS, DANE and reporting code, so fields are only ever added, never renamed.
 */

/** One certificate of the chain a server presented, summarised (DER kept for DANE matching). */
export interface PeerCertificate {
  /** The certificate, DER, base64. */
  der: string;
  /** Distinguished name, RFC 4514-like order as OpenSSL prints it, components joined with `, `. */
  subject: string;
  issuer: string;
  /** DNS names bare (`mx.example.org`); other kinds keep their prefix (`IP Address:192.0.2.1`). */
  subjectAltNames: string[];
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** `rsa`, `ec`, `ed25519`, `rsa-pss`, ... (Node's asymmetricKeyType). */
  keyType: string;
  /** RSA modulus length, or the EC curve size. */
  keyBits?: number;
  /** SHA-256 of the DER, colon-separated upper-case hex. */
  fingerprint256: string;
  /** Subject equals issuer and the certificate's own key verifies its signature. */
  selfSigned: boolean;
}

/** One line of the session, in order: `C` sent, `S` received, `*` our note (TLS up, timeout...). */
export interface TranscriptLine {
  dir: 'C' | 'S' | '*';
  line: string;
  /** Milliseconds since the probe started. */
  ms: number;
}

/** What `connect.reason` can say: the dialer's classification of a failed TCP connect. */
export type ConnectFailure = 'refused' | 'timeout' | 'unreachable' | 'reset' | 'aborted';

/** The phase a probe was in when it had to stop. */
export type ProbePhase = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'tls' | 'quit' | 'vrfy' | 'relay';

/** The legacy protocol versions tried in separate connections. */
export type LegacyTlsVersion = 'TLSv1' | 'TLSv1.1';

/** An EHLO (or HELO) exchange. */
export interface EhloReply {
  code: number;
  /** Reply texts without the code, first line is the greeting. */
  lines: string[];
  /** Upper-cased extension keywords (`STARTTLS`, `SIZE`, ...), without parameters. */
  extensions: string[];
  /** Set when EHLO was rejected and HELO was sent instead. */
  helo?: boolean;
}

/** The negotiated TLS session of a STARTTLS upgrade. */
export interface TlsSummary {
  protocol: string;
  /** OpenSSL cipher name, e.g. `ECDHE-RSA-AES128-GCM-SHA256`. */
  cipher: string;
  /** IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`. */
  standardCipher?: string;
  forwardSecrecy: boolean;
  /** As presented by the server, in its order, leaf first; trust-store additions excluded. */
  chain: PeerCertificate[];
  /** The chain verified against the trust anchors in use (system store plus `ca`). */
  authorized: boolean;
  authorizationError?: string;
  /** The leaf is valid for the host name probed (RFC 6125 rules as in tls.checkServerIdentity). */
  nameMatches: boolean;
  /** Why the name did not match, when it did not. */
  nameError?: string;
}

/** Everything one probe of one address saw. A failed probe is data: `error` says where and why. */
export interface SmtpProbeResult {
  host: string;
  address: string;
  port: number;
  family: 4 | 6;
  connect: { ok: boolean; reason?: ConnectFailure; ms: number };
  /** Multi-line banners kept whole. */
  banner?: { code: number; text: string[] };
  ehlo?: EhloReply;
  /** EHLO repeated inside TLS (RFC 3207 §4.2): extensions may differ, e.g. AUTH only after TLS. */
  ehloAfterTls?: EhloReply;
  starttls?: { offered: boolean; code?: number; ok: boolean; error?: string };
  tls?: TlsSummary;
  legacyTls?: Partial<Record<LegacyTlsVersion, 'accepted' | 'refused' | 'error'>>;
  vrfy?: { code: number; text: string };
  expn?: { code: number; text: string };
  relay?: { tested: boolean; acceptedForeignRcpt?: boolean; code?: number };
  transcript: TranscriptLine[];
  error?: { phase: ProbePhase; reason: string };
}
