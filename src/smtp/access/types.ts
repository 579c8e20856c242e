/**
 * Shapes of a submission or mailbox-access port probe (465, 587, 143, 993, 110, 995): what one
 * connection to one port of one address showed. Fields are only ever added, never renamed.
 */
import type { ConnectFailure, LegacyTlsVersion, TlsSummary, TranscriptLine } from '../types.js';

/** The application protocol spoken on a port. */
export type AccessProtocol = 'smtp' | 'imap' | 'pop3';

/** IANA service names of the six probed ports. */
export type AccessServiceName = 'submissions' | 'submission' | 'imap' | 'imaps' | 'pop3' | 'pop3s';

/** The standard ports probed by `--ports`. */
export type AccessPort = 465 | 587 | 143 | 993 | 110 | 995;

/** `implicit`: TLS from the first byte (RFC 8314); `starttls`: clear text, upgraded on request. */
export type TlsMode = 'implicit' | 'starttls';

/** Where an access probe stopped. Connect failures live in `connect`, not here: a closed port is an answer. */
export type AccessPhase = 'tls' | 'greeting' | 'capability' | 'starttls' | 'quit';

/** Capabilities as a server listed them, normalised across protocols. */
export interface Capabilities {
  /** Upper-cased keywords without parameters: `STARTTLS`, `LOGINDISABLED`, `USER`, `STLS`, `PIPELINING`. */
  keywords: string[];
  /** SASL mechanisms offered, upper-cased: from SMTP `AUTH`, IMAP `AUTH=` and POP3 `SASL`. */
  mechanisms: string[];
  /** False when the server could not list them (POP3 answering CAPA with -ERR, SMTP knowing only HELO). */
  listed: boolean;
}

/** The server's greeting. */
export interface AccessGreeting {
  /** SMTP 220, IMAP `* OK`/`* PREAUTH`, POP3 `+OK`. */
  ok: boolean;
  /** Greeting texts without the code or status word, escaped for display. */
  text: string[];
  /** SMTP reply code. */
  code?: number;
  /** IMAP `* PREAUTH`: the session starts logged in, without any credentials. */
  preauth?: boolean;
}

/** Everything one probe of one port saw. A failed probe is data: `error` says where and why. */
export interface AccessProbeResult {
  host: string;
  address: string;
  /** The standard port this probe stands for (465, 587, ...), whatever the dialer mapped it to. */
  port: number;
  family: 4 | 6;
  service: AccessServiceName;
  protocol: AccessProtocol;
  tlsMode: TlsMode;
  /** `refused` means the port is closed: the service is simply not offered there. */
  connect: { ok: boolean; reason?: ConnectFailure; ms: number };
  greeting?: AccessGreeting;
  /** Listed before TLS (STARTTLS ports only): what any client, or eavesdropper, sees in clear. */
  capabilitiesInClear?: Capabilities;
  /** Listed inside TLS: after STARTTLS, or on an implicit-TLS port. */
  capabilitiesInTls?: Capabilities;
  /** STARTTLS ports only. `reply` is the server's answer, shortened. */
  starttls?: { offered: boolean; ok: boolean; reply?: string };
  tls?: TlsSummary;
  /** TLS 1.0 and 1.1 tried in separate connections, when a TLS handshake was attempted at all. */
  legacyTls?: Partial<Record<LegacyTlsVersion, 'accepted' | 'refused' | 'error'>>;
  transcript: TranscriptLine[];
  error?: { phase: AccessPhase; reason: string };
}
