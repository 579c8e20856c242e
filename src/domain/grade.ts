import type { Finding } from '../core/finding.js';

/**
 * The grade against the German data protection authorities' guidance on sending personal data by
 * email (DSK Orientierungshilfe "Maßnahmen zum Schutz personenbezogener Daten bei der Übermittlung
 * per E-Mail", 2021): normal risk needs mandatory (enforced) transport encryption with valid
 * certificates; high risk needs it authenticated through DANE on DNSSEC-signed zones.
 */
export interface DskGrade {
  normalRisk: 'pass' | 'fail';
  highRisk: 'pass' | 'fail';
  reasons: string[];
}

const bad = (f: Finding) => f.status === 'fail' || f.status === 'error';

/** Grades one domain from its transport findings (smtp.*, mta-sts.policy.*, dane.*). */
export function gradeDomain(findings: readonly Finding[]): DskGrade {
  const of = (id: string) => findings.filter((f) => f.id === id);
  const nullMx =
    findings.some((f) => f.id === 'mx.null' && f.status === 'info') && of('smtp.starttls').length === 0;
  if (nullMx) {
    return {
      normalRisk: 'pass',
      highRisk: 'pass',
      reasons: ['The domain accepts no mail (null MX): nothing is sent to it.'],
    };
  }
  const reasons: string[] = [];
  const starttls = of('smtp.starttls');
  const tlsOk = starttls.length > 0 && !starttls.some(bad) && !of('smtp.connect').some(bad);
  if (!tlsOk) reasons.push('Not every MX host could be reached and offered working STARTTLS.');
  const certOk = of('smtp.certificate').length > 0 && !of('smtp.certificate').some(bad);
  if (!certOk) reasons.push('Not every MX host presents a valid certificate for its name.');
  const strongTls = !of('smtp.tls-version').some(bad) && !of('smtp.tls-cipher').some(bad);
  if (!strongTls) reasons.push('Some MX hosts accept outdated TLS versions or weak ciphers.');
  const transport = tlsOk && certOk && strongTls;

  const mtaSts =
    of('mta-sts.policy.mode').some((f) => f.status === 'pass') && !of('mta-sts.policy.mx').some(bad);
  const dane = of('dane.match');
  const daneOk = dane.length > 0 && dane.every((f) => f.status === 'pass');
  if (!mtaSts && !daneOk) {
    reasons.push(
      'Encryption is not mandatory: neither an MTA-STS policy in enforce mode covering every MX nor DANE.',
    );
  }
  if (!daneOk)
    reasons.push('High risk needs DANE: valid TLSA records on DNSSEC-signed zones for every MX host.');
  const normal = transport && (mtaSts || daneOk);
  return { normalRisk: normal ? 'pass' : 'fail', highRisk: normal && daneOk ? 'pass' : 'fail', reasons };
}
