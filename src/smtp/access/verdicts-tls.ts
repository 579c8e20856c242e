/**
 * `submission.tls` and `submission.certificate`: the MX checks' TLS version, cipher and certificate
 * verdicts applied to an access port, with the remediation of the server software behind that port.
 */
import { certificateVerdict, tlsCipherVerdict, tlsVersionVerdict } from '../findings-tls.js';
import type { SmtpProbeResult } from '../types.js';
import { capitalise, worstSeverity, type Verdict } from '../verdict.js';
import { looksLikePlaintextPeer } from './legacy.js';
import { commandExchanges } from './merge.js';
import { fixesFor } from './remediation.js';
import type { AccessProbeResult } from './types.js';

/** The fields the MX verdicts read, from an access result. */
function asSmtpResult(r: AccessProbeResult): SmtpProbeResult {
  return {
    host: r.host,
    address: r.address,
    port: r.port,
    family: r.family,
    connect: r.connect,
    transcript: r.transcript,
    ...(r.tls ? { tls: r.tls } : {}),
    ...(r.legacyTls ? { legacyTls: r.legacyTls } : {}),
  };
}

/** A handshake was attempted: the port is implicit TLS and connected, or STARTTLS was accepted. */
export function tlsAttempted(r: AccessProbeResult): boolean {
  return r.tlsMode === 'implicit' ? r.connect.ok : r.starttls?.ok === true;
}

/** The TLS lines of the transcript: STARTTLS/STLS and the notes about the handshake. */
function tlsTranscript(r: AccessProbeResult) {
  const upgrade = commandExchanges(r, ['STARTTLS', 'STLS']);
  const notes = r.transcript.filter((l) => l.dir === '*' && /TLS/.test(l.line));
  return upgrade.length > 0 ? upgrade : notes;
}

/** `submission.tls`: TLS 1.2+ (1.0/1.1 refused), no weak cipher, forward secrecy; or why TLS failed. */
export function accessTlsVerdict(r: AccessProbeResult): Verdict | undefined {
  if (!tlsAttempted(r)) return undefined;
  const fix = fixesFor(r.protocol);
  const smtp = asSmtpResult(r);
  const version = tlsVersionVerdict(smtp);
  if (!r.tls) {
    if (version) return { ...version, remediation: fix.tls };
    const reason = r.error?.phase === 'tls' ? r.error.reason : 'the session ended before TLS was up';
    const plaintext =
      r.tlsMode === 'implicit' && looksLikePlaintextPeer(reason)
        ? ` The port seems to answer in clear text instead: implicit TLS is not enabled on it.`
        : '';
    return {
      status: 'error',
      severity: 'high',
      title: `${r.host}: TLS could not be established`,
      detail: `${capitalise(reason)}.${plaintext} Clients that require TLS cannot use this port; the version, cipher and certificate were not assessed.`,
      remediation: r.tlsMode === 'implicit' ? fix.implicit : fix.starttls,
      evidence: { error: r.error ?? null, legacyTls: r.legacyTls ?? null, transcript: tlsTranscript(r) },
    };
  }
  const cipher = tlsCipherVerdict(smtp);
  const parts = [version, cipher].filter((v): v is Verdict => v !== undefined);
  const evidence = Object.assign({}, ...parts.map((p) => p.evidence)) as Record<string, unknown>;
  const bad = parts.filter((p) => p.status !== 'pass');
  if (bad.length === 0) {
    return {
      status: 'pass',
      title: `${r.host} negotiates ${r.tls.protocol} with a strong cipher`,
      detail: parts.map((p) => p.detail).join(' '),
      evidence,
    };
  }
  const [first, second] = bad;
  const both = second !== undefined;
  return {
    status: bad.some((p) => p.status === 'fail') ? 'fail' : 'warn',
    severity: worstSeverity(bad.map((p) => p.severity ?? 'medium')),
    title: both ? `${first!.title}, and ${second.title.replace(`${r.host} `, '')}` : first!.title,
    detail: bad.map((p) => p.detail).join(' '),
    remediation: fix.tls,
    evidence,
  };
}

/** `submission.certificate`: the MX certificate checks (trust, name, dates, key), same rules. */
export function accessCertificateVerdict(r: AccessProbeResult, now: Date): Verdict | undefined {
  const v = certificateVerdict(asSmtpResult(r), now);
  if (!v) return undefined;
  const evidence = { ...v.evidence, transcript: tlsTranscript(r) };
  // The MX wording speaks of sending servers; here the ones at risk are people typing passwords.
  const detail = v.detail.replace(
    /Senders that check certificates.*$/,
    'Mail clients warn or refuse to connect, and users who click through the warning cannot tell this server from an impostor collecting their passwords.',
  );
  return v.remediation
    ? { ...v, detail, evidence, remediation: fixesFor(r.protocol).certificate }
    : { ...v, detail, evidence };
}
