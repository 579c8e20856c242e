/**
 * Which ways to log in a server offered before TLS. A client configured without TLS, or one an
 * attacker strips STARTTLS from, uses exactly these, and its credentials cross the network in clear.
 */
import type { AccessProbeResult } from './types.js';

/** Ways to log in offered in clear. */
export interface CleartextLogin {
  /** `AUTH PLAIN`, `LOGIN`, `AUTHENTICATE PLAIN`, `USER/PASS`, `APOP`, ... in the order found. */
  methods: string[];
  /** At least one method sends the password itself (or a bearer token), not a challenge response. */
  revealsSecret: boolean;
  /** Inferred rather than listed: a POP3 server without CAPA almost always accepts USER/PASS. */
  assumed?: boolean;
}

/**
 * Mechanisms whose exchange does not carry the password: an eavesdropper still gets material for an
 * offline guess (CRAM-MD5, APOP) and the whole session in clear, but not the password as it is.
 */
const CHALLENGE_BASED = /^(?:CRAM-MD5|DIGEST-MD5|SCRAM-.*|GS2-.*|GSSAPI|NTLM|EXTERNAL|ANONYMOUS|APOP)$/;

/** True when using the method sends the secret itself. Unknown mechanisms count as revealing. */
export function revealsSecret(method: string): boolean {
  const bare = method.replace(/^(?:AUTH|AUTHENTICATE) /, '');
  return !CHALLENGE_BASED.test(bare);
}

/** RFC 1939 §7: an APOP-capable server puts a `<...>` timestamp in its greeting. */
const APOP_TIMESTAMP = /<[^<>\s]+>/;

/**
 * The login methods `r` offered before TLS; undefined when it does not apply (implicit TLS, port
 * not open) or could not be told (the capability listing failed).
 */
export function cleartextLogin(r: AccessProbeResult): CleartextLogin | undefined {
  if (r.tlsMode !== 'starttls' || !r.greeting?.ok) return undefined;
  const caps = r.capabilitiesInClear;
  if (!caps) return undefined;
  const methods: string[] = [];
  let assumed = false;
  switch (r.protocol) {
    case 'smtp':
      methods.push(...caps.mechanisms.map((m) => `AUTH ${m}`));
      break;
    case 'imap':
      // RFC 9051 §6.2.3: a server that refuses LOGIN must say LOGINDISABLED; silence means allowed.
      if (!caps.keywords.includes('LOGINDISABLED')) methods.push('LOGIN');
      methods.push(...caps.mechanisms.map((m) => `AUTHENTICATE ${m}`));
      break;
    case 'pop3':
      if (!caps.listed) {
        methods.push('USER/PASS');
        assumed = true;
      } else {
        if (caps.keywords.includes('USER')) methods.push('USER/PASS');
        methods.push(...caps.mechanisms.map((m) => `AUTH ${m}`));
      }
      if (r.greeting.text.some((t) => APOP_TIMESTAMP.test(t))) methods.push('APOP');
      break;
  }
  const out: CleartextLogin = { methods, revealsSecret: methods.some(revealsSecret) };
  if (assumed) out.assumed = true;
  return out;
}
