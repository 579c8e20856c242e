/**
 * DMARC findings about the record itself: syntax, policy, subdomain policy, pct, alignment, fo.
 */
import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import { DMARC_CONTROLS as CONTROLS, defaultRua, dmarcFix, type DmarcFacts } from './discover.js';
import { POLICY_STRENGTH, seriousProblems, type DmarcPolicy } from './parse.js';

const STEP_NOTE =
  '; if some legitimate senders may not align yet, publish p=quarantine first and move to p=reject once aggregate reports confirm';

/** `dmarc.syntax`: whether receivers read the record as published. */
export function syntaxFinding(f: DmarcFacts): Finding {
  const { rec } = f;
  const serious = seriousProblems(rec);
  const unknown = rec.unknownTags;
  if (serious.length === 0 && unknown.length === 0) {
    return finding({
      id: 'dmarc.syntax',
      status: 'pass',
      title: 'The DMARC record is well formed',
      detail: 'Every tag of the DMARC record has a valid value.',
      evidence: f.evidence,
      controls: CONTROLS,
    });
  }
  const versionBroken = serious.some((p) => p.kind === 'bad-version' || p.kind === 'version-not-first');
  return finding({
    id: 'dmarc.syntax',
    status: serious.length > 0 ? 'fail' : 'warn',
    severity: versionBroken ? 'high' : serious.length > 0 ? 'medium' : 'low',
    title: serious.length > 0 ? 'The DMARC record has errors' : 'The DMARC record has unknown tags',
    detail: `${[...serious, ...rec.problems.filter((p) => p.kind === 'unknown-tag')].map((p) => p.message).join('; ')}.${
      versionBroken ? ' Receivers that follow RFC 7489 strictly discard the whole record.' : ''
    }`,
    evidence: { ...f.evidence, problems: rec.problems },
    controls: CONTROLS,
    remediation: dmarcFix(f, {}),
  });
}

/** `dmarc.policy`: what receivers do with mail that fails DMARC. */
export function policyFinding(f: DmarcFacts): Finding {
  const { rec, discovery: d } = f;
  const applied = d.inherited ? rec.subdomainPolicy : rec.policy;
  const source = d.inherited
    ? `${d.domain} has no DMARC record of its own; the record of ${d.policyDomain} applies (${rec.sp ? 'its sp= tag' : 'its p= tag, as there is no sp='}). `
    : '';
  const degraded = rec.p === undefined || (rec.policy === 'none' && rec.p !== 'none');
  const fixTag = d.inherited && rec.sp ? 'sp' : 'p';
  if (applied === null) {
    return finding({
      id: 'dmarc.policy',
      status: 'fail',
      severity: 'high',
      title: 'The DMARC record has no usable policy',
      detail: `${source}The record has no valid p= (or has an invalid sp=) and no valid rua= address, so receivers apply no DMARC processing at all (RFC 7489 §6.6.3): forged mail in the domain's name is delivered as usual.`,
      evidence: f.evidence,
      controls: CONTROLS,
      remediation: `${dmarcFix(f, { p: 'reject', sp: undefined, rua: defaultRua(d) })}\n${STEP_NOTE}`,
    });
  }
  const base = {
    id: 'dmarc.policy',
    evidence: { ...f.evidence, appliedPolicy: applied },
    controls: CONTROLS,
  };
  if (applied === 'none') {
    return finding({
      ...base,
      status: 'warn',
      severity: 'medium',
      title: 'DMARC is in monitoring mode only (p=none)',
      detail: `${source}${degraded ? 'The p= tag is missing or invalid, so receivers act as if p=none (RFC 7489 §6.6.3). ' : ''}With p=none, receivers deliver mail that fails SPF and DKIM alignment: anyone can send phishing in the domain's name, a common route to disclosure of personal data.`,
      remediation: `${dmarcFix(f, { [fixTag]: 'reject', ...(rec.rua.length ? {} : { rua: defaultRua(d) }) })}\n${STEP_NOTE}`,
    });
  }
  if (applied === 'quarantine') {
    return finding({
      ...base,
      status: 'pass',
      title: 'DMARC tells receivers to quarantine forged mail',
      detail: `${source}p=quarantine sends failing mail to spam folders. p=reject is stronger: quarantined forgeries still reach recipients, who may open them.`,
    });
  }
  return finding({
    ...base,
    status: 'pass',
    title: 'DMARC tells receivers to reject forged mail',
    detail: `${source}Receivers refuse mail that fails SPF and DKIM alignment.`,
  });
}

/** `dmarc.subdomain-policy`: whether `sp` weakens the policy for subdomains. */
export function subdomainFinding(f: DmarcFacts): Finding {
  const { rec } = f;
  const weaker =
    rec.p !== undefined && rec.sp !== undefined && POLICY_STRENGTH[rec.sp] < POLICY_STRENGTH[rec.p];
  if (weaker) {
    return finding({
      id: 'dmarc.subdomain-policy',
      status: 'warn',
      severity: 'medium',
      title: 'Subdomains have a weaker DMARC policy than the domain',
      detail: `sp=${rec.sp} is weaker than p=${rec.p}: mail forged from any subdomain of ${f.discovery.policyDomain} (including names that do not exist) gets the weaker treatment, which phishers use to bypass the main policy.`,
      evidence: f.evidence,
      controls: CONTROLS,
      remediation: dmarcFix(f, { sp: undefined }),
    });
  }
  const detail =
    rec.sp === undefined
      ? 'There is no sp= tag, so subdomains get the same policy as the domain.'
      : `sp=${rec.sp} is at least as strict as p=${rec.p ?? 'none'}.`;
  return finding({
    id: 'dmarc.subdomain-policy',
    status: 'pass',
    title: 'Subdomains are covered by the DMARC policy',
    detail,
    evidence: f.evidence,
    controls: CONTROLS,
  });
}

/** `dmarc.pct`: whether the policy applies to all failing mail. */
export function pctFinding(f: DmarcFacts): Finding {
  const { rec } = f;
  const applied: DmarcPolicy | null = f.discovery.inherited ? rec.subdomainPolicy : rec.policy;
  const base = { id: 'dmarc.pct', evidence: { ...f.evidence, pct: rec.pct }, controls: CONTROLS };
  if (rec.pct === 100) {
    return finding({
      ...base,
      status: 'pass',
      title: 'The DMARC policy applies to all mail',
      detail: 'pct is 100 (the default).',
    });
  }
  if (applied === 'none' || applied === null) {
    return finding({
      ...base,
      status: 'info',
      title: 'pct has no effect with p=none',
      detail: `pct=${rec.pct} is published, but with p=none there is nothing to apply to a sample. Remove it when moving to an enforcing policy.`,
    });
  }
  return finding({
    ...base,
    status: 'warn',
    severity: rec.pct === 0 ? 'medium' : 'low',
    title: 'The DMARC policy applies to only part of the failing mail',
    detail: `pct=${rec.pct}: only ${rec.pct}% of mail failing DMARC gets p=${applied}; receivers treat the rest one step more leniently, so forged mail still gets through.`,
    remediation: dmarcFix(f, { pct: undefined }),
  });
}

/** `dmarc.alignment`: how strictly the From domain must match the SPF and DKIM domains (informative). */
export function alignmentFinding(f: DmarcFacts): Finding {
  const word = (m: 'r' | 's'): string => (m === 's' ? 'strict' : 'relaxed');
  const { adkim, aspf } = f.rec;
  return finding({
    id: 'dmarc.alignment',
    status: 'info',
    title: `DMARC alignment: DKIM ${word(adkim)}, SPF ${word(aspf)}`,
    detail:
      'Relaxed alignment accepts any domain under the same organisational domain; strict requires the exact From domain. ' +
      (adkim === 's' || aspf === 's'
        ? 'Strict alignment blocks subdomain look-alikes but breaks senders that sign or send from a subdomain.'
        : 'Relaxed alignment is the usual choice and lets subdomains and providers sign for the domain.'),
    evidence: { ...f.evidence, adkim, aspf },
    controls: CONTROLS,
  });
}

const FO_MEANING: Record<string, string> = {
  '0': 'when both SPF and DKIM fail',
  '1': 'when either SPF or DKIM fails',
  d: 'when the DKIM signature fails',
  s: 'when SPF fails',
};

/** `dmarc.fo`: which failures trigger forensic reports (informative). */
export function foFinding(f: DmarcFacts): Finding {
  const { fo, ruf } = f.rec;
  const when = fo.map((o) => FO_MEANING[o] ?? o).join(', or ');
  return finding({
    id: 'dmarc.fo',
    status: 'info',
    title: `Failure reporting options: fo=${fo.join(':')}`,
    detail:
      ruf.length === 0
        ? `fo=${fo.join(':')} has no effect: no ruf= destination is published.`
        : `Receivers that send failure reports do so ${when}. Wider options mean more reports, and each one carries personal data from the failing message.`,
    evidence: { ...f.evidence, fo },
    controls: CONTROLS,
  });
}
