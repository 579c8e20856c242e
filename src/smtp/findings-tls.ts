/**
 * Verdicts on the negotiated TLS session: protocol version, cipher, certificate.
 */
import type { Severity, Status } from '../core/finding.js';
import {
  SMTP_CERT_EXPIRY_WARN_DAYS,
  SMTP_CERT_MIN_RSA_BITS,
  SMTP_CERT_RECOMMENDED_RSA_BITS,
} from '../core/limits.js';
import { certificateEvidence, daysToExpiry, describeCertificate } from './certificate.js';
import type { LegacyTlsVersion, SmtpProbeResult } from './types.js';
import { exchanges, worstSeverity, type Verdict } from './verdict.js';

const VERSION_FIX =
  'Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 (Postfix < 3.6: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1); Exim: tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1 (GnuTLS) or openssl_options = +no_tlsv1 +no_tlsv1_1.';
const CIPHER_FIX =
  'Postfix: smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5 and tls_preempt_cipherlist = yes, keeping smtpd_tls_eecdh_grade = auto so ECDHE suites are preferred.';
const CERT_FIX =
  'Install a certificate from a public CA that names the MX host, with its full chain, and renew it automatically (e.g. ACME). Postfix: smtpd_tls_chain_files = /etc/ssl/private/mx.key, /etc/ssl/certs/mx-fullchain.pem.';

/** Legacy versions the server accepted, in order. */
export function acceptedLegacy(r: SmtpProbeResult): LegacyTlsVersion[] {
  return (['TLSv1', 'TLSv1.1'] as const).filter((v) => r.legacyTls?.[v] === 'accepted');
}

/** `smtp.tls-version`: TLS 1.2+ required, 1.3 noted, 1.0/1.1 acceptance tested separately. */
export function tlsVersionVerdict(r: SmtpProbeResult): Verdict | undefined {
  const legacy = acceptedLegacy(r);
  const evidence = { protocol: r.tls?.protocol ?? null, legacyTls: r.legacyTls ?? null };
  if (!r.tls) {
    if (legacy.length === 0) return undefined;
    return {
      status: 'fail',
      severity: 'high',
      title: `${r.host} speaks only obsolete TLS (${legacy.join(', ')})`,
      detail: `The server completed a handshake only with ${legacy.join(' and ')}, which are deprecated (RFC 8996) and broken enough that senders requiring TLS 1.2 will deliver in plain text or not at all.`,
      remediation: VERSION_FIX,
      evidence,
    };
  }
  const untested = (['TLSv1', 'TLSv1.1'] as const).filter(
    (v) => r.legacyTls?.[v] !== 'accepted' && r.legacyTls?.[v] !== 'refused',
  );
  const note =
    r.legacyTls === undefined
      ? ' TLS 1.0/1.1 acceptance was not tested.'
      : untested.length > 0
        ? ` Whether ${untested.join(' and ')} ${untested.length > 1 ? 'are' : 'is'} refused could not be tested.`
        : '';
  if (legacy.length > 0) {
    return {
      status: 'fail',
      severity: 'medium',
      title: `${r.host} still accepts ${legacy.join(' and ')}`,
      detail: `The server negotiates ${r.tls.protocol} with modern clients but also completed a handshake with ${legacy.join(' and ')}, deprecated by RFC 8996; an attacker who can interfere with the connection may force the weaker version.${note}`,
      remediation: VERSION_FIX,
      evidence,
    };
  }
  const refused = r.legacyTls && untested.length === 0 ? ' TLS 1.0 and 1.1 are refused.' : '';
  if (r.tls.protocol === 'TLSv1.3') {
    return {
      status: 'pass',
      title: `${r.host} negotiates TLS 1.3`,
      detail: `The server negotiated TLS 1.3.${refused}${note}`,
      evidence,
    };
  }
  return {
    status: 'pass',
    title: `${r.host} negotiates ${r.tls.protocol}`,
    detail: `The server negotiated ${r.tls.protocol}; TLS 1.3 was not offered (recommended, not required).${refused}${note}`,
    evidence,
  };
}

/** Why a cipher is weak, with the severity it earns; undefined when it is not. */
export function weakCipher(name: string): { why: string; severity: Severity } | undefined {
  if (/(?:^|-)NULL(?:-|$)/i.test(name))
    return { why: 'no encryption at all (NULL cipher)', severity: 'critical' };
  if (/^(?:ADH|AECDH)-|anon/i.test(name))
    return { why: 'anonymous key exchange, so no server authentication', severity: 'high' };
  if (/EXP/i.test(name)) return { why: 'an export-grade cipher', severity: 'high' };
  if (/RC4/i.test(name)) return { why: 'RC4, broken (RFC 7465)', severity: 'medium' };
  if (/3DES|DES-CBC3|(?:^|-)DES-CBC-|(?:^|-)DES(?:-|$)/i.test(name))
    return { why: 'DES or 3DES, weak (Sweet32)', severity: 'medium' };
  return undefined;
}

/** `smtp.tls-cipher`: no NULL/EXPORT/RC4/3DES/anonymous suites, forward secrecy expected. */
export function tlsCipherVerdict(r: SmtpProbeResult): Verdict | undefined {
  const tls = r.tls;
  if (!tls) return undefined;
  const evidence = {
    protocol: tls.protocol,
    cipher: tls.cipher,
    standardCipher: tls.standardCipher ?? null,
    forwardSecrecy: tls.forwardSecrecy,
  };
  const weak = weakCipher(tls.cipher);
  if (weak) {
    return {
      status: 'fail',
      severity: weak.severity,
      title: `${r.host} negotiated a weak cipher (${tls.cipher})`,
      detail: `The server chose ${tls.cipher}: ${weak.why}. Mail sent over this session is not reliably protected.`,
      remediation: CIPHER_FIX,
      evidence,
    };
  }
  if (!tls.forwardSecrecy) {
    return {
      status: 'warn',
      severity: 'low',
      title: `${r.host} negotiated a cipher without forward secrecy (${tls.cipher})`,
      detail: `With ${tls.cipher} the session keys derive from the server's long-term key: whoever obtains that key later can decrypt recorded mail traffic.`,
      remediation: CIPHER_FIX,
      evidence,
    };
  }
  return {
    status: 'pass',
    title: `${r.host} negotiated a strong cipher with forward secrecy`,
    detail: `The server chose ${tls.cipher} over ${tls.protocol}.`,
    evidence,
  };
}

interface Problem {
  status: Status;
  severity: Severity;
  text: string;
}

const SELF_SIGNED_ERRORS = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

/** `smtp.certificate`: trusted chain, name matches the MX host, not expired, enough days left, key size. */
export function certificateVerdict(r: SmtpProbeResult, now: Date): Verdict | undefined {
  const tls = r.tls;
  if (!tls) return undefined;
  const leaf = tls.chain[0];
  const evidence: Record<string, unknown> = {
    chain: tls.chain.map(certificateEvidence),
    authorized: tls.authorized,
    authorizationError: tls.authorizationError ?? null,
    nameMatches: tls.nameMatches,
    nameError: tls.nameError ?? null,
    transcript: exchanges(r, ['STARTTLS']),
  };
  if (!leaf || leaf.keyType === 'unparsable') {
    return {
      status: 'fail',
      severity: 'high',
      title: `${r.host} presented ${leaf ? 'an unreadable' : 'no'} certificate`,
      detail: 'Without a readable certificate a sender cannot tell the real server from an impostor.',
      remediation: CERT_FIX,
      evidence,
    };
  }
  const problems: Problem[] = [];
  const days = daysToExpiry(leaf, now);
  evidence.daysToExpiry = days;
  const expired = Date.parse(leaf.validTo) < now.getTime();
  if (expired)
    problems.push({ status: 'fail', severity: 'high', text: `expired on ${leaf.validTo.slice(0, 10)}` });
  else if (Date.parse(leaf.validFrom) > now.getTime()) {
    problems.push({
      status: 'fail',
      severity: 'high',
      text: `not valid before ${leaf.validFrom.slice(0, 10)}`,
    });
  }
  const authError = tls.authorizationError ?? 'unknown error';
  if (!tls.authorized && !(expired && authError === 'CERT_HAS_EXPIRED')) {
    const why =
      SELF_SIGNED_ERRORS.has(authError) || leaf.selfSigned ? 'self-signed' : 'not issued by a trusted CA';
    problems.push({ status: 'fail', severity: 'high', text: `${why} (${authError})` });
  }
  if (!tls.nameMatches) {
    const names = leaf.subjectAltNames.length ? leaf.subjectAltNames.join(', ') : leaf.subject;
    problems.push({ status: 'fail', severity: 'high', text: `issued for ${names}, not for ${r.host}` });
  }
  if (!expired && days < SMTP_CERT_EXPIRY_WARN_DAYS) {
    problems.push({
      status: 'warn',
      severity: 'medium',
      text: `expires in ${days} day${days === 1 ? '' : 's'}`,
    });
  }
  if (/^rsa/.test(leaf.keyType) && leaf.keyBits !== undefined) {
    if (leaf.keyBits < SMTP_CERT_MIN_RSA_BITS) {
      problems.push({ status: 'fail', severity: 'high', text: `RSA key of only ${leaf.keyBits} bits` });
    } else if (leaf.keyBits < SMTP_CERT_RECOMMENDED_RSA_BITS) {
      problems.push({
        status: 'warn',
        severity: 'medium',
        text: `RSA key of ${leaf.keyBits} bits (2048 recommended)`,
      });
    }
  }
  const described = describeCertificate(leaf);
  if (problems.length === 0) {
    return {
      status: 'pass',
      title: `${r.host} has a valid certificate`,
      detail: `The certificate is trusted, names ${r.host} and expires in ${days} days: ${described}.`,
      evidence,
    };
  }
  const status: Status = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  const [first] = problems;
  return {
    status,
    severity: worstSeverity(problems.map((p) => p.severity)),
    title:
      problems.length === 1
        ? `${r.host} certificate: ${first!.text}`
        : `${r.host} certificate has ${problems.length} problems: ${problems.map((p) => p.text).join('; ')}`,
    detail:
      status === 'fail'
        ? `${described}. Senders that check certificates (MTA-STS, DANE, strict policies) will refuse to deliver; others cannot tell this server from an impostor.`
        : `${described}. Nothing fails yet, but this needs attention before it does.`,
    remediation: CERT_FIX,
    evidence,
  };
}
