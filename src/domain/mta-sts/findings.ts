/**
 * Verdicts on a fetched MTA-STS policy (RFC 8461): could it be fetched, does it parse, is it enforced,
 * does it cover every MX, is its lifetime sensible, and does the `_mta-sts` record announce it.
 */
import type { Finding } from '../../core/finding.js';
import {
  MTA_STS_MAX_AGE_MAX_S,
  MTA_STS_MAX_AGE_MIN_S,
  MTA_STS_MAX_AGE_RECOMMENDED_S,
} from '../../core/limits.js';
import { finding } from '../../core/make-finding.js';
import { certificateEvidence } from '../../smtp/certificate.js';
import type { MtaStsFetchResult } from './fetch.js';
import { mxMatchesPattern, parseMtaStsPolicy, type MtaStsPolicy } from './parse.js';
import { policyRemediation as remediation } from './remediation.js';
import type { MtaStsRecordState } from './record.js';

const CONTROLS = ['transport.mta-sts'];
// The policy text kept as evidence is cut here; a legal policy is a few hundred bytes.
const EVIDENCE_TEXT_MAX = 8_192;

function fetchEvidence(r: MtaStsFetchResult): Record<string, unknown> {
  const ev: Record<string, unknown> = { url: r.url, ms: r.ms };
  if (r.address) ev.address = r.address;
  if (r.certificate) ev.certificate = certificateEvidence(r.certificate);
  if (r.ok) {
    ev.status = r.status;
    ev.contentType = r.contentType;
    ev.bytes = r.bytes;
    ev.text = r.text.length > EVIDENCE_TEXT_MAX ? r.text.slice(0, EVIDENCE_TEXT_MAX) : r.text;
    if (r.text.length > EVIDENCE_TEXT_MAX) ev.textTruncated = true;
    if (r.invalidUtf8) ev.invalidUtf8 = true;
  } else {
    ev.stage = r.stage;
    ev.reason = r.reason;
    if (r.status !== undefined) ev.status = r.status;
    if (r.contentType !== undefined) ev.contentType = r.contentType;
  }
  return ev;
}

function recordEvidence(record: MtaStsRecordState): Record<string, unknown> {
  return { ...record };
}

const STAGE_WORDS: Record<string, string> = {
  dns: 'the policy host name did not resolve',
  connect: 'no connection to the policy host on port 443',
  tls: 'the HTTPS certificate or handshake was rejected',
  http: 'the HTTP request failed',
  size: 'the policy is larger than 64 KiB',
  'content-type': 'the policy is not served as text/plain',
  redirect: 'the policy URL redirects',
};

function fetchFinding(
  domain: string,
  record: MtaStsRecordState,
  r: MtaStsFetchResult,
  mx: string[],
): Finding {
  const evidence = fetchEvidence(r);
  if (r.ok) {
    return finding({
      id: 'mta-sts.policy.fetch',
      status: 'pass',
      title: 'The MTA-STS policy is served correctly over HTTPS',
      detail: `${r.url} answered HTTP ${r.status} with ${r.bytes} bytes of ${r.contentType} over a certificate valid for mta-sts.${domain}${r.address ? ` (address ${r.address})` : ''}.`,
      evidence,
      controls: CONTROLS,
    });
  }
  const what = `${STAGE_WORDS[r.stage] ?? r.stage}: ${r.reason}`;
  if (r.incomplete) {
    return finding({
      id: 'mta-sts.policy.fetch',
      status: 'error',
      severity: 'medium',
      title: 'The MTA-STS policy could not be fetched to check it',
      detail: `Fetching ${r.url} did not complete (${what}); the policy was not assessed.`,
      evidence,
      controls: CONTROLS,
    });
  }
  if (record.state === 'absent') {
    return finding({
      id: 'mta-sts.policy.fetch',
      status: 'info',
      title: 'No MTA-STS policy is published',
      detail: `There is no _mta-sts record and ${r.url} serves no policy (${what}). Senders cannot be told to insist on authenticated TLS.`,
      evidence,
      controls: CONTROLS,
      remediation: remediation(domain, mx),
    });
  }
  return finding({
    id: 'mta-sts.policy.fetch',
    status: 'fail',
    severity: record.state === 'error' ? 'medium' : 'high',
    title: 'Senders cannot fetch the MTA-STS policy',
    detail: `${what}. Sending servers that find the _mta-sts record but no valid policy apply no MTA-STS protection (RFC 8461 §3.3), so mail can again be downgraded to plaintext or delivered to an impostor.`,
    evidence,
    controls: CONTROLS,
    remediation: remediation(domain, mx),
  });
}

function syntaxFinding(domain: string, policy: MtaStsPolicy, invalidUtf8: boolean, mx: string[]): Finding {
  const errors = invalidUtf8 ? ['the policy is not valid UTF-8 text', ...policy.errors] : policy.errors;
  const evidence = { errors, warnings: policy.warnings, extensions: policy.extensions };
  if (errors.length > 0) {
    return finding({
      id: 'mta-sts.policy.syntax',
      status: 'fail',
      severity: 'high',
      title: 'The MTA-STS policy is invalid, so senders ignore it',
      detail: `${errors.join('; ')}. A sender that cannot parse the policy treats the domain as having none (RFC 8461 §3.2).`,
      evidence,
      controls: CONTROLS,
      remediation: remediation(domain, mx, policy),
    });
  }
  if (policy.warnings.length > 0) {
    return finding({
      id: 'mta-sts.policy.syntax',
      status: 'warn',
      severity: 'low',
      title: 'The MTA-STS policy parses, with deviations from RFC 8461',
      detail: `${policy.warnings.join('; ')}. Common senders accept this, stricter ones may not.`,
      evidence,
      controls: CONTROLS,
      remediation: remediation(domain, mx, policy),
    });
  }
  return finding({
    id: 'mta-sts.policy.syntax',
    status: 'pass',
    title: 'The MTA-STS policy is well-formed',
    detail: 'The policy follows the RFC 8461 §3.2 grammar.',
    evidence,
    controls: CONTROLS,
  });
}

function modeFinding(domain: string, policy: MtaStsPolicy, mx: string[]): Finding {
  const evidence = { mode: policy.mode ?? null };
  switch (policy.mode) {
    case 'enforce':
      return finding({
        id: 'mta-sts.policy.mode',
        status: 'pass',
        title: 'MTA-STS is enforced',
        detail:
          'mode: enforce tells senders to deliver only over TLS to an MX with a valid certificate matching the policy.',
        evidence,
        controls: CONTROLS,
      });
    case 'testing':
      return finding({
        id: 'mta-sts.policy.mode',
        status: 'warn',
        severity: 'medium',
        title: 'MTA-STS is only in testing mode',
        detail:
          'mode: testing asks senders to report failures but still deliver when TLS or the certificate fails, so an attacker can still downgrade the connection. Switch to enforce once TLS reports show no failures.',
        evidence,
        controls: CONTROLS,
        remediation: remediation(domain, mx, policy),
      });
    case 'none':
      return finding({
        id: 'mta-sts.policy.mode',
        status: 'fail',
        severity: 'medium',
        title: 'MTA-STS is switched off (mode: none)',
        detail:
          'mode: none withdraws the policy: senders apply no MTA-STS protection to mail for the domain.',
        evidence,
        controls: CONTROLS,
        remediation: remediation(domain, mx, policy),
      });
    default:
      return finding({
        id: 'mta-sts.policy.mode',
        status: 'fail',
        severity: 'medium',
        title: 'The MTA-STS policy has no valid mode',
        detail: 'Without mode: enforce, testing or none the policy is invalid and senders ignore it.',
        evidence,
        controls: CONTROLS,
        remediation: remediation(domain, mx, policy),
      });
  }
}

function mxFinding(domain: string, policy: MtaStsPolicy, mx: string[]): Finding {
  const hosts = [...new Set(mx.map((h) => h.toLowerCase().replace(/\.$/, '')))];
  const unmatched = hosts.filter((h) => !policy.mx.some((p) => mxMatchesPattern(h, p)));
  const unused = policy.mx.filter((p) => !hosts.some((h) => mxMatchesPattern(h, p)));
  const evidence = { patterns: policy.mx, mxHosts: hosts, unmatched, unusedPatterns: unused };
  if (policy.mode === 'none') {
    return finding({
      id: 'mta-sts.policy.mx',
      status: 'info',
      title: 'MX patterns are not used in mode none',
      detail: 'With mode: none senders do not compare MX hosts against the policy.',
      evidence,
      controls: CONTROLS,
    });
  }
  if (hosts.length === 0) {
    return finding({
      id: 'mta-sts.policy.mx',
      status: 'info',
      title: 'No MX hosts to compare with the MTA-STS policy',
      detail: 'The domain has no MX hosts to compare with the policy mx patterns.',
      evidence,
      controls: CONTROLS,
    });
  }
  if (unmatched.length > 0) {
    const enforce = policy.mode === 'enforce';
    return finding({
      id: 'mta-sts.policy.mx',
      status: 'fail',
      severity: enforce ? 'high' : 'medium',
      title: 'Some MX hosts are not covered by the MTA-STS policy',
      detail: `No mx pattern (${policy.mx.join(', ') || 'none'}) matches ${unmatched.join(', ')}. ${
        enforce
          ? 'In enforce mode, MTA-STS senders refuse to deliver to these hosts, so mail can be delayed or bounced.'
          : 'Once the policy is enforced, MTA-STS senders will refuse to deliver to these hosts.'
      }${unused.length > 0 ? ` Patterns matching no MX: ${unused.join(', ')}.` : ''}`,
      evidence,
      controls: CONTROLS,
      remediation: remediation(domain, mx, policy),
    });
  }
  return finding({
    id: 'mta-sts.policy.mx',
    status: 'pass',
    title: 'Every MX host is covered by the MTA-STS policy',
    detail: `All ${hosts.length} MX host(s) match a policy mx pattern.${unused.length > 0 ? ` Patterns matching no MX (harmless, but stale?): ${unused.join(', ')}.` : ''}`,
    evidence,
    controls: CONTROLS,
  });
}

function maxAgeFinding(domain: string, policy: MtaStsPolicy, mx: string[]): Finding {
  const age = policy.maxAge;
  const evidence = { maxAge: age ?? null };
  const days = (s: number) => `${Math.round((s / 86_400) * 10) / 10} days`;
  if (age === undefined || age < MTA_STS_MAX_AGE_MIN_S || age > MTA_STS_MAX_AGE_MAX_S) {
    return finding({
      id: 'mta-sts.policy.max-age',
      status: 'fail',
      severity: 'medium',
      title: 'The MTA-STS policy lifetime is unusable',
      detail:
        age === undefined
          ? 'max_age is missing or invalid, so the policy is invalid.'
          : `max_age is ${age} s (${days(age)}); below one day a sender's cached policy expires between deliveries and an attacker who blocks the policy fetch disables MTA-STS.`,
      evidence,
      controls: CONTROLS,
      remediation: remediation(domain, mx, policy),
    });
  }
  if (age < MTA_STS_MAX_AGE_RECOMMENDED_S) {
    return finding({
      id: 'mta-sts.policy.max-age',
      status: 'warn',
      severity: 'low',
      title: 'The MTA-STS policy lifetime is short',
      detail: `max_age is ${age} s (${days(age)}); RFC 8461 recommends weeks, so senders keep the policy long enough to ride out an attack on its fetch.`,
      evidence,
      controls: CONTROLS,
      remediation: remediation(domain, mx, policy),
    });
  }
  return finding({
    id: 'mta-sts.policy.max-age',
    status: 'pass',
    title: 'The MTA-STS policy lifetime is sensible',
    detail: `max_age is ${age} s (${days(age)}).`,
    evidence,
    controls: CONTROLS,
  });
}

function recordFinding(
  domain: string,
  record: MtaStsRecordState,
  r: MtaStsFetchResult,
  mx: string[],
  policy?: MtaStsPolicy,
): Finding {
  const evidence = { record: recordEvidence(record), policyServed: r.ok };
  const base = { id: 'mta-sts.policy.record', evidence, controls: CONTROLS };
  if (record.state === 'error') {
    return finding({
      ...base,
      status: 'error',
      severity: 'medium',
      title: 'The MTA-STS record could not be looked up',
      detail: `The _mta-sts.${domain} TXT lookup failed (${record.reason}); whether the policy is announced is unknown.`,
    });
  }
  if (!r.ok) {
    if (record.state === 'absent') {
      return finding({
        ...base,
        status: 'info',
        title: 'Neither an MTA-STS record nor a policy is published',
        detail: `There is no _mta-sts.${domain} record and no policy at ${r.url}.`,
      });
    }
    return finding({
      ...base,
      status: r.incomplete ? 'error' : 'fail',
      severity: 'medium',
      title: 'The _mta-sts record announces a policy that cannot be fetched',
      detail: `_mta-sts.${domain} announces a policy, but fetching it failed (${r.reason}).`,
      remediation: remediation(domain, mx, policy),
    });
  }
  if (record.state === 'absent') {
    return finding({
      ...base,
      status: 'fail',
      severity: 'medium',
      title: 'The MTA-STS policy is not announced in DNS',
      detail: `A policy is served at ${r.url}, but there is no _mta-sts.${domain} TXT record, so senders never look for it (RFC 8461 §3.1).`,
      remediation: remediation(domain, mx, policy),
    });
  }
  if (record.state === 'invalid') {
    return finding({
      ...base,
      status: 'fail',
      severity: 'medium',
      title: 'The MTA-STS record announcing the policy is malformed',
      detail: `A policy is served, but the _mta-sts.${domain} record is unusable (${record.problems.join('; ')}), so senders ignore the policy.`,
      remediation: remediation(domain, mx, policy),
    });
  }
  return finding({
    ...base,
    status: 'pass',
    title: 'The MTA-STS policy is announced in DNS',
    detail: `_mta-sts.${domain} announces policy id ${record.id}. Change the id whenever the policy changes, or senders keep their cached copy.`,
  });
}

/**
 * Findings `mta-sts.policy.*` for one domain, from its `_mta-sts` record state, the policy fetch and
 * the domain's MX host names. Only the fetch and record verdicts are given when no policy was served.
 */
export function mtaStsPolicyFindings(
  domain: string,
  record: MtaStsRecordState,
  fetchResult: MtaStsFetchResult,
  mxHosts: string[],
): Finding[] {
  const out = [fetchFinding(domain, record, fetchResult, mxHosts)];
  if (!fetchResult.ok) {
    out.push(recordFinding(domain, record, fetchResult, mxHosts));
    return out;
  }
  const policy = parseMtaStsPolicy(fetchResult.text);
  out.push(
    syntaxFinding(domain, policy, fetchResult.invalidUtf8, mxHosts),
    modeFinding(domain, policy, mxHosts),
    mxFinding(domain, policy, mxHosts),
    maxAgeFinding(domain, policy, mxHosts),
    recordFinding(domain, record, fetchResult, mxHosts, policy),
  );
  return out;
}
