/** What the anonymiser does to each kind of personal data in a log line. */
export interface AnonymizePolicy {
  /** `truncate`: IPv4 to /ipv4Prefix and IPv6 to /ipv6Prefix; `crypto-pan`: prefix-preserving (needs a key); `keep`. */
  ip: 'truncate' | 'crypto-pan' | 'keep';
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Local parts of addresses become keyed pseudonyms; the domain is kept, hashed, or reduced to its registrable part. */
  emailDomain: 'keep' | 'hash' | 'registrable';
  /** SASL, IMAP/POP and local user names become keyed pseudonyms. */
  users: boolean;
  /** Client host names (`name[ip]`) become their registrable domain. */
  hosts: boolean;
  /** header_checks / body_checks log lines lose the header or body text they quote (often a Subject). */
  redactChecks: boolean;
  /** Prefix of every pseudonym, e.g. `u-` gives `u-3f9a1c0b7e2d`. */
  pseudonymPrefix: string;
  /** Hex digits of HMAC kept; 12 (48 bits) makes collisions unlikely below millions of users. */
  pseudonymHexDigits: number;
}

export const DEFAULT_POLICY: AnonymizePolicy = {
  ip: 'truncate',
  ipv4Prefix: 24,
  ipv6Prefix: 48,
  emailDomain: 'keep',
  users: true,
  hosts: true,
  redactChecks: true,
  pseudonymPrefix: 'u-',
  pseudonymHexDigits: 12,
};
