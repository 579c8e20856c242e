/**
 * `processors.*` findings: the register compared with what DNS shows (Art. 28, 30) and transfers
 * outside the EEA (Art. 44-46), plus forensic reports leaving the organisation (Art. 5(1)(c)).
 */
import type { Finding } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import type { ProcessorRegister } from './register.js';
import { ROLE_LABELS, type DiscoveredProcessor } from './types.js';

const REGISTER = ['processors.register'];
const TRANSFERS = ['processors.transfers'];
const FORENSIC = ['minimisation.forensic-reports'];

function label(p: DiscoveredProcessor): string {
  const facts = [
    ...(p.identified && p.legalName !== 'unknown' && p.legalName !== p.name ? [p.legalName] : []),
    ...(p.country !== 'unknown' ? [p.country] : []),
  ];
  return `${p.name}${facts.length ? ` (${facts.join(', ')})` : ''}`;
}

function roles(p: DiscoveredProcessor): string {
  return p.roles.map((r) => ROLE_LABELS[r]).join(', ');
}

function brief(p: DiscoveredProcessor): Record<string, unknown> {
  return {
    key: p.key,
    name: p.name,
    country: p.country,
    region: p.region,
    roles: p.roles,
    seen: p.evidence.map((e) => e.name),
  };
}

/** A register entry for mailcomply.yaml, as a remediation line. */
function registerLine(p: DiscoveredProcessor): string {
  // Inside the EEA there is no transfer to record.
  const mechanism = suggestedMechanism(p);
  const tia = mechanism === 'scc' ? ', tia: done' : '';
  const transfer = p.region === 'eea' ? '' : `, transfer: ${mechanism}${tia}`;
  if (p.provider) return `  - { provider: ${p.provider}, dpa: YYYY-MM-DD${transfer} }`;
  return `  - { name: "LEGAL NAME", domains: [${p.registrableDomain ?? p.name}], country: XX, dpa: YYYY-MM-DD, transfer: MECHANISM }`;
}

function suggestedMechanism(p: DiscoveredProcessor): string {
  if (p.region === 'adequacy') return 'adequacy';
  if (p.dpf?.status === 'certified') return 'dpf';
  return 'scc';
}

/** True when personal data reaching `p` leaves the EEA without an adequacy decision (or may). */
function needsSafeguard(p: DiscoveredProcessor): boolean {
  return p.region === 'third-country' || (p.region === 'unknown' && p.identified);
}

/** Why the recorded transfer basis is missing or wrong; undefined when it holds. */
export function transferProblem(p: DiscoveredProcessor): { reason: string; severe: boolean } | undefined {
  const m = p.declared?.transfer;
  if (!m) return { reason: 'no transfer mechanism is recorded', severe: true };
  if (m === 'none') return { reason: 'the register records no transfer mechanism ("none")', severe: true };
  if (m === 'adequacy' && p.region !== 'adequacy' && p.region !== 'eea')
    return { reason: `"adequacy" is recorded, but ${p.country} has no adequacy decision`, severe: true };
  if (m === 'dpf') {
    const s = p.dpf?.status ?? 'unknown';
    if (s === 'not-certified' || s === 'not-applicable')
      return { reason: `"dpf" is recorded, but the catalogue lists DPF status ${s}`, severe: true };
    if (s === 'unknown')
      return {
        reason: `"dpf" is recorded; the catalogue cannot confirm certification: check the DPF list`,
        severe: false,
      };
  }
  if ((m === 'scc' || m === 'bcr') && p.declared?.tia !== 'done' && p.declared?.tia !== 'not-required')
    return {
      reason: `${m.toUpperCase()} recorded without a completed transfer impact assessment`,
      severe: false,
    };
  return undefined;
}

/** The register findings of one domain. */
export function processorFindings(
  domain: string,
  found: readonly DiscoveredProcessor[],
  register: ProcessorRegister,
  dmarcSeen: boolean,
): Finding[] {
  return [
    undeclaredFinding(domain, found, register),
    ...unseenFindings(domain, found, register),
    ...dpaFindings(found),
    transferFinding(domain, found),
    ...reportTransferFindings(found),
    ...forensicFindings(domain, found, dmarcSeen),
    ...unidentifiedFindings(domain, found),
  ];
}

function undeclaredFinding(
  domain: string,
  found: readonly DiscoveredProcessor[],
  r: ProcessorRegister,
): Finding {
  if (found.length === 0) {
    return finding({
      id: 'processors.undeclared',
      status: 'pass',
      title: 'No third-party processors appear in the domain\u2019s mail DNS',
      detail: `The SPF, MX, DKIM, DMARC, TLS-RPT and MTA-STS records of ${domain} point only to the organisation\u2019s own names.`,
      controls: REGISTER,
    });
  }
  const undeclared = found.filter((p) => !p.declared);
  const list = undeclared.map((p) => `${label(p)}: ${roles(p)}`).join('; ');
  if (!r.hasRegister) {
    return finding({
      id: 'processors.undeclared',
      status: 'warn',
      severity: 'medium',
      title: `${found.length} processor(s) handle this domain\u2019s mail; no register to compare with`,
      detail: `The DNS of ${domain} shows: ${list}. No processor register (processors: in mailcomply.yaml) was given, so whether each has a data processing agreement (Art. 28(3)) and an entry in the record of processing (Art. 30(1)(d)) cannot be checked.`,
      evidence: { processors: found.map(brief) },
      controls: REGISTER,
      remediation: `Create mailcomply.yaml with the register, then re-run with --config:\nprocessors:\n${found.map(registerLine).join('\n')}`,
    });
  }
  if (undeclared.length === 0) {
    return finding({
      id: 'processors.undeclared',
      status: 'pass',
      title: 'Every processor seen in DNS is in the register',
      detail: `All ${found.length} processor(s) in the DNS of ${domain} are declared in mailcomply.yaml.`,
      evidence: { processors: found.map(brief) },
      controls: REGISTER,
    });
  }
  return finding({
    id: 'processors.undeclared',
    status: 'fail',
    severity: 'high',
    title: `${undeclared.length} processor(s) in DNS are missing from the register`,
    detail: `The DNS of ${domain} points mail data to services the register does not list: ${list}. Each processes personal data for the organisation and needs a data processing agreement (Art. 28(3)) and an entry in the record of processing (Art. 30(1)(d)); if a service is no longer used, remove it from DNS.`,
    evidence: { undeclared: undeclared.map(brief) },
    controls: REGISTER,
    remediation: `Add to processors: in mailcomply.yaml (or remove the records that point to them):\n${undeclared.map(registerLine).join('\n')}`,
  });
}

function unseenFindings(
  domain: string,
  found: readonly DiscoveredProcessor[],
  r: ProcessorRegister,
): Finding[] {
  if (!r.hasRegister) return [];
  const seen = new Set(found.flatMap((p) => (p.declared ? [p.declared.entry] : [])));
  const unseen = r
    .declarationsFor(domain)
    .filter(({ decl, entry }) => decl.inDns !== false && !seen.has(entry))
    .map(({ decl, entry }) => ({ entry, name: decl.provider ?? decl.name ?? `entry ${entry}` }));
  if (unseen.length === 0) return [];
  return [
    finding({
      id: 'processors.unseen',
      status: 'warn',
      severity: 'low',
      title: `${unseen.length} declared processor(s) do not appear in the domain\u2019s DNS`,
      detail: `The register lists ${unseen.map((u) => u.name).join(', ')} for ${domain}, but no SPF, MX, DKIM or report record points to them. Either the register is stale (the service was dropped, so end the contract and delete the data), the SPF record is missing an include the service needs, or the processor is not visible in DNS at all.`,
      evidence: { unseen },
      controls: REGISTER,
      remediation:
        'Remove stale entries from processors:, fix the SPF record if the service still sends, mark processors that never appear in DNS with inDns: false, or limit an entry to the domains it serves with scope: [...].',
    }),
  ];
}

function dpaFindings(found: readonly DiscoveredProcessor[]): Finding[] {
  const missing = found.filter((p) => p.declared && !p.declared.dpa);
  if (missing.length === 0) return [];
  return [
    finding({
      id: 'processors.dpa',
      status: 'warn',
      severity: 'medium',
      title: `${missing.length} declared processor(s) have no recorded processing agreement`,
      detail: `The register gives no dpa date for ${missing.map(label).join('; ')}. Art. 28(3) requires a contract with each processor; the date shows it exists.`,
      evidence: { processors: missing.map(brief) },
      controls: REGISTER,
      remediation: 'Add dpa: YYYY-MM-DD (the signature date of the agreement) to each entry.',
    }),
  ];
}

function transferFinding(domain: string, found: readonly DiscoveredProcessor[]): Finding {
  const outside = found.filter(needsSafeguard);
  const problems = outside.flatMap((p) => {
    const t = transferProblem(p);
    return t ? [{ p, ...t }] : [];
  });
  const unknown = found.filter((p) => !p.identified).length;
  if (outside.length === 0) {
    return finding({
      id: 'processors.transfer',
      status: found.length && !unknown ? 'pass' : 'info',
      title: 'No identified processor is outside the EEA without an adequacy decision',
      detail: `The identified processors of ${domain} are in the EEA or in countries with an adequacy decision (Art. 45).${unknown ? ` Where the ${unknown} unidentified third part${unknown === 1 ? 'y is' : 'ies are'} located is unknown (see processors.unidentified).` : ''}`,
      evidence: { processors: found.filter((p) => p.identified).map(brief) },
      controls: TRANSFERS,
    });
  }
  if (problems.length === 0) {
    return finding({
      id: 'processors.transfer',
      status: 'pass',
      title: 'Every processor outside the EEA has a recorded transfer mechanism',
      detail: `${outside.map((p) => `${label(p)}: ${p.declared?.transfer ?? ''}`).join('; ')}.`,
      evidence: { processors: outside.map((p) => ({ ...brief(p), declared: p.declared })) },
      controls: TRANSFERS,
    });
  }
  const severe = problems.some((x) => x.severe);
  return finding({
    id: 'processors.transfer',
    status: severe ? 'fail' : 'warn',
    severity: severe ? 'high' : 'medium',
    title: severe
      ? 'Mail data goes outside the EEA without a recorded transfer mechanism'
      : 'Transfers outside the EEA need follow-up',
    detail: `${problems.map((x) => `${label(x.p)}: ${x.reason}`).join('; ')}. Art. 44-46 require adequacy, DPF certification, SCCs, BCRs or a derogation for each transfer, and SCCs/BCRs a transfer impact assessment.`,
    evidence: {
      problems: problems.map((x) => ({
        ...brief(x.p),
        dpf: x.p.dpf,
        declared: x.p.declared,
        reason: x.reason,
      })),
    },
    controls: TRANSFERS,
    remediation: `Record the mechanism for each in mailcomply.yaml (adequacy, dpf, scc, bcr or derogation) and its TIA, e.g.:\n${problems.map((x) => registerLine(x.p)).join('\n')}\nor move the service to its EU region or an EEA provider.`,
  });
}

function reportTransferFindings(found: readonly DiscoveredProcessor[]): Finding[] {
  const outside = found.filter((p) => needsSafeguard(p) && p.roles.some((r) => r.startsWith('report-')));
  if (outside.length === 0) return [];
  const unsafe = outside.some((p) => transferProblem(p)?.severe ?? false);
  return [
    finding({
      id: 'processors.transfer-reports',
      status: 'warn',
      severity: unsafe ? 'medium' : 'low',
      title: 'DMARC or TLS reports about the domain go to a receiver outside the EEA',
      detail: `${outside.map((p) => `${label(p)}: ${roles(p)}`).join('; ')}. Reports carry the IP addresses of sending servers and, for forensic reports, message headers: personal data transferred under Art. 44.${unsafe ? ' No valid transfer mechanism is recorded for at least one of them.' : ''}`,
      evidence: { receivers: outside.map((p) => ({ ...brief(p), declared: p.declared })) },
      controls: TRANSFERS,
      remediation:
        'Use the provider\u2019s EU platform or an EEA report processor, or record the transfer mechanism (and TIA) for it in mailcomply.yaml.',
    }),
  ];
}

function forensicFindings(
  domain: string,
  found: readonly DiscoveredProcessor[],
  dmarcSeen: boolean,
): Finding[] {
  const ruf = found.filter((p) => p.roles.includes('report-forensic'));
  if (ruf.length === 0) {
    if (!dmarcSeen) return [];
    return [
      finding({
        id: 'processors.ruf',
        status: 'pass',
        title: 'No forensic (ruf) reports go to a third party',
        detail: `The DMARC record in force for ${domain} sends no failure reports outside the organisation.`,
        controls: FORENSIC,
      }),
    ];
  }
  return [
    finding({
      id: 'processors.ruf',
      status: 'fail',
      severity: 'high',
      title: 'Forensic DMARC reports (copies of real messages) go to a third party',
      detail: `ruf= sends failure reports to ${ruf.map(label).join('; ')}. They contain headers and often parts of real messages, including those of people writing to the organisation: a disclosure of personal data to that party, which needs a processing agreement and is rarely necessary (Art. 5(1)(c)).`,
      evidence: { receivers: ruf.map(brief) },
      controls: FORENSIC,
      remediation: `Remove ruf= from the DMARC record (aggregate rua= reports carry no message content), or send ruf only to a mailbox of ${domain}.`,
    }),
  ];
}

function unidentifiedFindings(domain: string, found: readonly DiscoveredProcessor[]): Finding[] {
  const unknown = found.filter((p) => !p.identified);
  if (unknown.length === 0) return [];
  return [
    finding({
      id: 'processors.unidentified',
      status: 'warn',
      severity: 'medium',
      title: `${unknown.length} unidentified third part${unknown.length === 1 ? 'y' : 'ies'} in the domain\u2019s mail DNS`,
      detail: `${unknown.map((p) => `${p.registrableDomain ?? p.name} (${roles(p)})`).join('; ')}: not in the processor catalogue nor the register. Find out who runs each, where, and under which contract; if a name belongs to the organisation, list it in organisation.domains.`,
      evidence: { thirdParties: unknown.map(brief) },
      controls: REGISTER,
      remediation: `Declare each in mailcomply.yaml with its legal name and country, e.g.:\n${unknown.map(registerLine).join('\n')}\nor add the organisation\u2019s own domains to organisation.domains.`,
    }),
  ];
}
