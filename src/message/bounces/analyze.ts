import { getDomain } from 'tldts';
import type { Finding } from '../../core/finding.js';
import { BOUNCE_MAX_MATCHES, BOUNCE_MAX_MESSAGE_BYTES } from '../../core/limits.js';
import { finding } from '../../core/make-finding.js';
import { dissect, type Dissected, type MessageKind } from './classify.js';
import { header } from './headers.js';
import { parseMessage } from './mime.js';
import { findCircumstances } from './personal.js';
import { shortValue, type RedactOptions } from './redact.js';
import { bounceDisclosures } from './disclosures.js';
import { REMEDIATION } from './remediation.js';

/** Options for one analysis: which zones are internal and whether evidence may show personal data. */
export interface BounceOptions extends RedactOptions {
  /** The organisation's internal DNS zones (names under them count as internal). */
  internalZones: string[];
}

/** The verdicts about one message. */
export interface MessageReport {
  /** File path, with `#n` for the n-th message of an mbox. */
  source: string;
  kind: MessageKind | 'unreadable';
  subject?: string;
  /** Why the message got its kind. */
  reasons: string[];
  findings: Finding[];
}

/** Analyses one raw message; never throws: what could not be read becomes a `bounces.input` finding. */
export function analyzeMessage(source: string, raw: Buffer, o: BounceOptions): MessageReport {
  if (raw.length > BOUNCE_MAX_MESSAGE_BYTES) {
    return unreadable(
      source,
      `the message is ${raw.length} bytes, over the ${BOUNCE_MAX_MESSAGE_BYTES}-byte limit`,
    );
  }
  // Only a file that starts blank can be all blank; the whole-file check runs just then.
  if (/^\s*$/.test(raw.toString('latin1', 0, 4096)) && raw.toString('latin1').trim() === '') {
    return unreadable(source, 'the file is empty');
  }
  let d: Dissected;
  let problems: string[];
  try {
    const parsed = parseMessage(raw.toString('latin1'));
    problems = parsed.problems;
    if (parsed.root.headers.length === 0)
      return unreadable(source, 'no header fields: this is not a message');
    d = dissect(parsed.root);
    if (d.dsn) problems.push(...d.dsn.problems);
  } catch (err) {
    // The parsers are written not to throw; this keeps one bad file from ending a whole run.
    return unreadable(source, `internal parser failure (${(err as Error).name})`);
  }
  const report: MessageReport = { source, kind: d.kind, reasons: d.reasons, findings: [] };
  const subject = header(d.top, 'subject');
  if (subject !== undefined) report.subject = shortValue(subject, o, 120, true);
  if (problems.length > 0 && (d.kind !== 'other' || problems.some(isFatal))) {
    report.findings.push(inputFinding(problems));
  }
  if (d.kind === 'dsn' || d.kind === 'bounce') report.findings.push(...bounceDisclosures(d, o));
  else if (d.kind === 'autoreply') report.findings.push(...autoreplyFindings(d, o));
  return report;
}

function isFatal(p: string): boolean {
  return p.startsWith('header only') || p.startsWith('the input does not start');
}

function unreadable(source: string, why: string): MessageReport {
  return { source, kind: 'unreadable', reasons: [], findings: [inputFinding([why])] };
}

/** The finding for a file or message that could not be read whole. */
export function inputFinding(problems: string[]): Finding {
  return finding({
    id: 'bounces.input',
    status: 'error',
    severity: 'low',
    title: 'Message could not be analysed completely',
    detail: `The message is malformed, so parts of it were not checked: ${problems.slice(0, 5).join('; ')}.`,
    evidence: { problems: problems.slice(0, BOUNCE_MAX_MATCHES) },
    controls: ['minimisation.bounces'],
  });
}

function autoreplyFindings(d: Dissected, o: BounceOptions): Finding[] {
  const out: Finding[] = [];
  const subject = header(d.top, 'subject') ?? '';
  const text = `${subject}\n${d.notice}`;
  const hits = findCircumstances(text).slice(0, BOUNCE_MAX_MATCHES);
  const audience = audienceOf(d);
  const evidence = (kinds: string[]) =>
    hits
      .filter((h) => kinds.includes(h.kind))
      .map((h) => ({
        kind: h.kind,
        phrase: h.kind === 'private-phone' ? shortValue(h.phrase, o, 200, true) : h.phrase,
        context: shortValue(text.slice(Math.max(0, h.start - 50), h.end + 50), o, 160, true),
      }));
  const reasons = hits.filter((h) => h.kind !== 'private-phone');
  if (reasons.length > 0) {
    const health = reasons.some((h) => h.kind === 'health');
    out.push(
      finding({
        id: 'autoreply.personal-circumstances',
        status: 'warn',
        severity: health ? 'high' : 'medium',
        title: health
          ? 'Automatic reply tells senders about a health matter'
          : 'Automatic reply tells senders why the person is away',
        detail:
          `The reply names the reason for the absence (${[...new Set(reasons.map((h) => h.phrase.toLowerCase()))].slice(0, 5).join(', ')}) ` +
          `to ${audience === 'internal' ? 'a colleague' : 'anyone who writes, including external senders'}.` +
          (health ? ' Health information is special-category data (Art. 9 GDPR).' : ''),
        evidence: { audience, matches: evidence(['health', 'family', 'private-life']) },
        controls: ['minimisation.bounces'],
        remediation: REMEDIATION.autoreply,
      }),
    );
  }
  if (hits.some((h) => h.kind === 'private-phone')) {
    out.push(
      finding({
        id: 'autoreply.private-phone',
        status: 'warn',
        severity: 'medium',
        title: 'Automatic reply gives out a private or mobile phone number',
        detail: `The reply shows a private or mobile number to ${audience === 'internal' ? 'a colleague' : 'anyone who writes'}; numbers are redacted in the evidence.`,
        evidence: { audience, matches: evidence(['private-phone']) },
        controls: ['minimisation.bounces'],
        remediation: REMEDIATION.autoreply,
      }),
    );
  }
  if (d.returned?.form === 'message') {
    out.push(
      finding({
        id: 'autoreply.original-returned',
        status: 'warn',
        severity: 'low',
        title: 'Automatic reply sends the original message back',
        detail: `The reply quotes the message it answers (${d.returned.bodyBytes} bytes of body, ${d.returned.where}), so its content travels again to whoever is in From, which may be forged.`,
        evidence: { where: d.returned.where, bodyBytes: d.returned.bodyBytes },
        controls: ['minimisation.bounces'],
        remediation: REMEDIATION.autoreply,
      }),
    );
  }
  if (!out.some((f) => f.id.startsWith('autoreply.p'))) {
    out.push(
      finding({
        id: 'autoreply.personal-circumstances',
        status: 'pass',
        title: 'Automatic reply names no reason for absence and no private number',
        detail: 'No absence reason, health, family matter or private phone number was found in the reply.',
        evidence: { audience },
        controls: ['minimisation.bounces'],
      }),
    );
  }
  return out;
}

/** Whether the reply went outside the organisation: sender and recipient in different registrable domains. */
function audienceOf(d: Dissected): 'internal' | 'external' | 'unknown' {
  const dom = (v: string | undefined): string | null => {
    const m = /@([A-Za-z0-9.-]+)/.exec(v ?? '');
    return m ? getDomain(m[1] as string) : null;
  };
  const a = dom(header(d.top, 'from'));
  const b = dom(header(d.top, 'to'));
  if (!a || !b) return 'unknown';
  return a === b ? 'internal' : 'external';
}
