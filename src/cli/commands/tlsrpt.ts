import type { Command } from 'commander';
import { breaches, type Finding, type Severity } from '../../core/finding.js';
import { VERSION } from '../../core/version.js';
import type { DomainReport } from '../../domain/scan.js';
import { readTlsReports, type ReadResult } from '../../mta/tlsrpt/read.js';
import { summarizeTlsReports, tlsrptFindings, type TlsRptSummary } from '../../mta/tlsrpt/summarize.js';
import { buildRun } from '../../report/model.js';
import { EXIT } from '../exit-codes.js';
import { emit } from '../output.js';
import { parseFormat, parseSeverity, type Format } from '../options.js';
import { renderReport } from '../render.js';

interface SummarizeFlags {
  format: Format;
  out?: string;
  failOn?: Severity;
  quiet?: boolean;
}

export function registerTlsrpt(program: Command): void {
  const tlsrpt = program
    .command('tlsrpt')
    .description('SMTP TLS reports (RFC 8460) received for your domains');
  tlsrpt
    .command('summarize')
    .description('summarise TLS report failures by reporting organisation, policy and failure type')
    .argument('<inputs...>', 'report files (.json, .json.gz), emails (.eml) or Maildirs of the rua mailbox')
    .option('--format <format>', 'text, json or html', parseFormat, 'text')
    .option('--out <file>', 'write the summary to a file instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding at or above this severity fails', parseSeverity)
    .option('--quiet', 'text output: leave out the per-policy totals')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply tlsrpt summarize ~/Maildir/.tlsrpt\n  mailcomply tlsrpt summarize reports/*.json.gz --format json --out tlsrpt.json',
    )
    .action(async (inputs: string[], flags: SummarizeFlags) => {
      process.exitCode = await runSummarize(inputs, flags);
    });
}

async function runSummarize(inputs: string[], flags: SummarizeFlags): Promise<number> {
  const startedAt = new Date();
  const read = await readTlsReports(inputs);
  const summary = summarizeTlsReports(read.reports);
  const findings = tlsrptFindings(summary, read.problems);
  let text: string;
  if (flags.format === 'json') {
    const doc = jsonDocument(read, summary, findings, startedAt);
    text = `${JSON.stringify(doc, null, 2)}\n`;
  } else if (flags.format === 'html') text = html(summary, findings, startedAt, flags);
  else text = textSummary(read, summary, findings, flags.quiet === true);
  emit(text, flags.out);
  if (flags.failOn && findings.some((f) => breaches(f, flags.failOn!))) return EXIT.FINDINGS;
  return EXIT.OK;
}

/** The JSON output, described by schemas/tlsrpt-summary.schema.json. */
function jsonDocument(read: ReadResult, summary: TlsRptSummary, findings: Finding[], startedAt: Date) {
  return {
    schema: 1,
    tool: 'mailcomply',
    command: 'tlsrpt summarize',
    version: VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    reports: read.reports.map((r) => ({
      source: r.source,
      organization: r.report.organization,
      reportId: r.report.reportId,
      start: r.report.start ?? null,
      end: r.report.end ?? null,
      problems: r.report.problems,
    })),
    skipped: read.skipped,
    problems: read.problems,
    period: summary.period,
    policies: summary.policies,
    failures: summary.failures,
    findings,
  };
}

/** HTML through the scan report renderer: one section per policy domain, with its findings. */
function html(summary: TlsRptSummary, findings: Finding[], startedAt: Date, flags: SummarizeFlags): string {
  const byDomain = new Map<string, Finding[]>();
  for (const f of findings) {
    const ev = f.evidence as { policy?: { policyDomain?: string }; policyDomain?: string } | null;
    const d = ev?.policy?.policyDomain ?? ev?.policyDomain ?? '(inputs)';
    byDomain.set(d, [...(byDomain.get(d) ?? []), f]);
  }
  const domains: DomainReport[] = [...byDomain].map(([domain, fs]) => ({
    domain,
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    findings: fs,
  }));
  const run = buildRun(domains, { startedAt, finishedAt: new Date(), resolvers: [] });
  return renderReport(run, 'html', { quiet: flags.quiet === true, out: flags.out });
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s.padEnd(n);
}

function textSummary(read: ReadResult, s: TlsRptSummary, findings: Finding[], quiet: boolean): string {
  const lines: string[] = [];
  const period = s.period.start || s.period.end ? `, ${s.period.start ?? '?'} to ${s.period.end ?? '?'}` : '';
  lines.push(`TLS reports: ${s.reports} read${period}`);
  if (read.skipped) lines.push(`  ${read.skipped} message(s) without a TLS report skipped`);
  if (!quiet && s.policies.length) {
    lines.push('', 'Sessions by policy:');
    lines.push(
      `  ${pad('policy domain', 30)}${pad('type', 16)}${pad('ok', 10)}${pad('failed', 10)}organisations`,
    );
    for (const p of s.policies) {
      lines.push(
        `  ${pad(p.policyDomain, 30)}${pad(p.policyType, 16)}${pad(String(p.successfulSessions), 10)}${pad(String(p.failedSessions), 10)}${p.organizations.join(', ')}`,
      );
    }
  }
  if (s.failures.length) {
    lines.push('', 'Failures by reporting organisation, policy and type:');
    lines.push(`  ${pad('organisation', 22)}${pad('policy', 34)}${pad('failure type', 26)}sessions`);
    for (const r of s.failures) {
      lines.push(
        `  ${pad(r.organization, 22)}${pad(`${r.policyType} ${r.policyDomain}`, 34)}${pad(r.resultType, 26)}${r.sessions}`,
      );
    }
  }
  lines.push('', 'Findings:');
  for (const f of findings) {
    const sev = f.status === 'pass' ? '' : ` ${f.severity}`;
    lines.push(`  [${f.status}${sev}] ${f.id}: ${f.title}`);
    if (f.status !== 'pass') for (const d of f.detail.split('\n')) lines.push(`      ${d}`);
    if (f.remediation) lines.push(`      fix: ${f.remediation}`);
  }
  return `${lines.join('\n')}\n`;
}
