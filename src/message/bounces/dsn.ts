import { parseHeaderBlock, type HeaderField } from './headers.js';

/** One per-recipient group of a delivery-status report (RFC 3464 §2.3). */
export interface DsnRecipient {
  finalRecipient?: string;
  originalRecipient?: string;
  action?: string;
  status?: string;
  remoteMta?: string;
  diagnosticCode?: string;
  /** Every field of the group, names lower-case, values decoded. */
  fields: HeaderField[];
}

/** A parsed message/delivery-status body. */
export interface DsnReport {
  reportingMta?: string;
  receivedFromMta?: string;
  /** Per-message fields (RFC 3464 §2.2). */
  fields: HeaderField[];
  recipients: DsnRecipient[];
  problems: string[];
}

/** Groups of `name: value` fields kept per report; more is a hostile or broken report. */
const MAX_GROUPS = 1000;

/**
 * Parses a delivery-status body (latin1 string): a per-message group then per-recipient groups,
 * separated by blank lines. Never throws.
 */
export function parseDeliveryStatus(body: string): DsnReport {
  const problems: string[] = [];
  const groups: HeaderField[][] = [];
  let pos = 0;
  while (pos < body.length && groups.length < MAX_GROUPS) {
    // Skip blank lines between groups.
    while (pos < body.length && (body[pos] === '\n' || body[pos] === '\r')) pos++;
    if (pos >= body.length) break;
    const block = parseHeaderBlock(body, pos);
    problems.push(...block.problems);
    if (block.fields.length > 0) groups.push(block.fields);
    if (block.bodyStart <= pos) break;
    pos = block.bodyStart;
  }
  if (groups.length >= MAX_GROUPS) problems.push(`more than ${MAX_GROUPS} delivery-status groups`);
  const [first = [], ...rest] = groups;
  const report: DsnReport = { fields: first, recipients: [], problems: [...new Set(problems)] };
  const reporting = fieldValue(first, 'reporting-mta');
  if (reporting !== undefined) report.reportingMta = reporting;
  const from = fieldValue(first, 'received-from-mta');
  if (from !== undefined) report.receivedFromMta = from;
  // Some generators put recipient fields into the first group; treat it as a recipient too then.
  const recipientGroups = fieldValue(first, 'final-recipient') !== undefined ? groups : rest;
  for (const g of recipientGroups) report.recipients.push(recipient(g));
  if (groups.length === 0) problems.push('the delivery-status part is empty');
  report.problems = [...new Set(problems)];
  return report;
}

function recipient(fields: HeaderField[]): DsnRecipient {
  const r: DsnRecipient = { fields };
  const set = (key: Exclude<keyof DsnRecipient, 'fields'>, name: string): void => {
    const v = fieldValue(fields, name);
    if (v !== undefined) r[key] = v;
  };
  set('finalRecipient', 'final-recipient');
  set('originalRecipient', 'original-recipient');
  set('action', 'action');
  set('status', 'status');
  set('remoteMta', 'remote-mta');
  set('diagnosticCode', 'diagnostic-code');
  return r;
}

/** The value of a typed field (`rfc822; a@b`, `dns; host`) without its type, trimmed. */
export function fieldValue(fields: readonly HeaderField[], name: string): string | undefined {
  const f = fields.find((x) => x.name === name);
  if (!f) return undefined;
  return stripType(f.value);
}

/** Drops the `type;` prefix of an RFC 3464 typed value. */
export function stripType(value: string): string {
  const m = /^\s*[A-Za-z0-9-]+\s*;\s*([\s\S]*)$/.exec(value);
  return (m ? (m[1] ?? '') : value).trim();
}
