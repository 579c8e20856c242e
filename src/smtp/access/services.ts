/**
 * The six submission and mailbox-access services (RFC 8314 §7 and the IANA registry), and which
 * port of a pair is the clear-text one with STARTTLS.
 */
import type { AccessPort, AccessProtocol, AccessServiceName, TlsMode } from './types.js';

/** One service: its protocol, how TLS starts, and a name a DPO can read. */
export interface AccessService {
  name: AccessServiceName;
  port: AccessPort;
  protocol: AccessProtocol;
  tlsMode: TlsMode;
  /** `IMAP over implicit TLS`, ... */
  label: string;
  /** The keyword that advertises STARTTLS in this protocol's capability list. */
  starttlsKeyword: 'STARTTLS' | 'STLS';
}

const TABLE: readonly AccessService[] = [
  {
    name: 'submissions',
    port: 465,
    protocol: 'smtp',
    tlsMode: 'implicit',
    label: 'mail submission over implicit TLS',
    starttlsKeyword: 'STARTTLS',
  },
  {
    name: 'submission',
    port: 587,
    protocol: 'smtp',
    tlsMode: 'starttls',
    label: 'mail submission with STARTTLS',
    starttlsKeyword: 'STARTTLS',
  },
  {
    name: 'imap',
    port: 143,
    protocol: 'imap',
    tlsMode: 'starttls',
    label: 'IMAP with STARTTLS',
    starttlsKeyword: 'STARTTLS',
  },
  {
    name: 'imaps',
    port: 993,
    protocol: 'imap',
    tlsMode: 'implicit',
    label: 'IMAP over implicit TLS',
    starttlsKeyword: 'STARTTLS',
  },
  {
    name: 'pop3',
    port: 110,
    protocol: 'pop3',
    tlsMode: 'starttls',
    label: 'POP3 with STLS',
    starttlsKeyword: 'STLS',
  },
  {
    name: 'pop3s',
    port: 995,
    protocol: 'pop3',
    tlsMode: 'implicit',
    label: 'POP3 over implicit TLS',
    starttlsKeyword: 'STLS',
  },
];

/** The ports `--ports` probes, in the order reports list them. */
export const ACCESS_PORTS: readonly AccessPort[] = [465, 587, 143, 993, 110, 995];

/** The service on a standard port, or on a named service; undefined for anything else. */
export function accessService(which: number | AccessServiceName): AccessService | undefined {
  return TABLE.find((s) => (typeof which === 'number' ? s.port === which : s.name === which));
}

/** A clear-text port and its implicit-TLS counterpart (RFC 8314 §3.3 prefers the latter). */
export interface ServicePair {
  protocol: AccessProtocol;
  /** `mail submission`, `IMAP`, `POP3`. */
  label: string;
  clear: AccessService;
  implicit: AccessService;
}

/** The three pairs: 587/465, 143/993, 110/995. */
export const SERVICE_PAIRS: readonly ServicePair[] = [
  { protocol: 'smtp', label: 'Mail submission', clear: TABLE[1]!, implicit: TABLE[0]! },
  { protocol: 'imap', label: 'IMAP', clear: TABLE[2]!, implicit: TABLE[3]! },
  { protocol: 'pop3', label: 'POP3', clear: TABLE[4]!, implicit: TABLE[5]! },
];
