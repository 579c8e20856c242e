/**
 * MTA-STS policy parser (RFC 8461 §3.2). Lenient: it never throws, keeps what it could read and lists
 * every deviation, so the findings can say precisely why a sender would reject the policy.
 */
import {
  MTA_STS_MAX_AGE_MAX_S,
  MTA_STS_MAX_POLICY_BYTES,
  MTA_STS_MAX_REPORTED_PROBLEMS,
} from '../../core/limits.js';
import { isValidHostname } from '../../dns/name.js';

export type MtaStsMode = 'enforce' | 'testing' | 'none';

/** What a policy file says, with every problem found. `valid` is what a conforming sender decides. */
export interface MtaStsPolicy {
  /** The `version` value as published (valid only when `STSv1`). */
  version?: string;
  mode?: MtaStsMode;
  /** Valid mx patterns, lower case, in order, without duplicates. */
  mx: string[];
  maxAge?: number;
  /** Fields RFC 8461 does not define, which senders ignore. */
  extensions: { name: string; value: string }[];
  /** Problems that make a sender reject the policy. */
  errors: string[];
  /** Deviations senders tolerate but that deserve a fix. */
  warnings: string[];
  /** The policy would be accepted by a sender following RFC 8461. */
  valid: boolean;
}

const MODES: readonly string[] = ['enforce', 'testing', 'none'];
// RFC 8461 §3.2: sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
// sts-policy-vchar: visible ASCII, or any non-ASCII (UTF-8) character; WSP only inside values.
const VALUE_CHARS = /^[\x21-\x7e\u0080-\uffff](?:[\x20\x21-\x7e\u0080-\uffff]*[\x21-\x7e\u0080-\uffff])?$/;
const DIGITS = /^[0-9]{1,10}$/;
const KNOWN = new Set(['version', 'mode', 'max_age', 'mx']);
// Long lines of garbage are quoted only this far in problem messages.
const QUOTE_MAX = 60;

function quote(s: string): string {
  const shown = s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}…` : s;
  return JSON.stringify(shown);
}

/** Problem list that stops growing at a limit, so a 64 KiB garbage file stays a short finding. */
class Problems {
  readonly list: string[] = [];
  private dropped = 0;
  add(message: string): void {
    if (this.list.length < MTA_STS_MAX_REPORTED_PROBLEMS) this.list.push(message);
    else this.dropped++;
  }
  done(): string[] {
    if (this.dropped > 0) this.list.push(`…and ${this.dropped} more`);
    return this.list;
  }
}

/**
 * Parses the text of `/.well-known/mta-sts.txt`. Lines end in CRLF or LF; each is `key: value`;
 * `version: STSv1` comes first; `mode` is enforce|testing|none; `mx` (one or more) is required
 * unless mode is none; `max_age` is an integer up to 31557600. Unknown keys are ignored.
 * @example parseMtaStsPolicy('version: STSv1\nmode: enforce\nmx: mail.example.org\nmax_age: 604800\n').valid // true
 */
export function parseMtaStsPolicy(text: string): MtaStsPolicy {
  const errors = new Problems();
  const warnings = new Problems();
  const policy: MtaStsPolicy = { mx: [], extensions: [], errors: [], warnings: [], valid: false };
  const input = typeof text === 'string' ? text.slice(0, MTA_STS_MAX_POLICY_BYTES) : '';
  if (typeof text === 'string' && text.length > input.length) {
    errors.add(`the policy is longer than ${MTA_STS_MAX_POLICY_BYTES} characters; the rest was not read`);
  }
  const body = input.startsWith('\ufeff') ? input.slice(1) : input;
  if (body.length !== input.length) warnings.add('the policy starts with a byte order mark');

  const lines = body.split('\n');
  // A final line break is allowed; further blank lines at the end are tolerated with a warning.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const seen = new Set<string>();
  const firstContent = lines.findIndex((l) => l.replace(/\r$/, '').trim() !== '');
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') {
      warnings.add(`line ${n} is blank`);
      return;
    }
    if (hasControlCharacter(line)) {
      errors.add(`line ${n} contains control characters`);
      return;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      errors.add(`line ${n} is not of the form "key: value": ${quote(line)}`);
      return;
    }
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_NAME.test(name)) {
      errors.add(`line ${n} has an invalid key ${quote(name)}`);
      return;
    }
    if (value === '' || !VALUE_CHARS.test(value)) {
      errors.add(`line ${n} (${name}) has an empty or invalid value`);
      return;
    }
    if (!KNOWN.has(name)) {
      if (KNOWN.has(name.toLowerCase())) {
        warnings.add(
          `key ${quote(name)} on line ${n} is ignored: keys are case-sensitive ("${name.toLowerCase()}")`,
        );
      }
      policy.extensions.push({ name, value });
      return;
    }
    if (name !== 'mx' && seen.has(name)) {
      warnings.add(`"${name}" appears more than once (line ${n}); the first value is used`);
      return;
    }
    seen.add(name);
    switch (name) {
      case 'version':
        policy.version = value;
        if (value !== 'STSv1') errors.add(`version is ${quote(value)}, expected "STSv1"`);
        if (i !== firstContent) errors.add('"version" is not the first line');
        break;
      case 'mode':
        if (MODES.includes(value)) policy.mode = value as MtaStsMode;
        else errors.add(`mode ${quote(value)} is not one of enforce, testing, none`);
        break;
      case 'max_age':
        if (!DIGITS.test(value)) errors.add(`max_age ${quote(value)} is not a whole number of seconds`);
        else if (Number(value) > MTA_STS_MAX_AGE_MAX_S) {
          errors.add(`max_age ${value} is above the maximum of ${MTA_STS_MAX_AGE_MAX_S} seconds (one year)`);
        } else policy.maxAge = Number(value);
        break;
      case 'mx': {
        const pattern = value.toLowerCase().replace(/\.$/, '');
        if (!isValidMxPattern(pattern))
          errors.add(`mx ${quote(value)} is not a host name or *.domain pattern`);
        else if (policy.mx.includes(pattern)) warnings.add(`mx ${quote(value)} is listed more than once`);
        else policy.mx.push(pattern);
        break;
      }
    }
  });
  if (/(?:^|[^\r])\n/.test(body))
    warnings.add('lines end in LF only; RFC 8461 examples use CRLF (senders accept both)');
  if (policy.version === undefined) errors.add('"version: STSv1" is missing');
  if (!seen.has('mode')) errors.add('"mode" is missing');
  if (!seen.has('max_age')) errors.add('"max_age" is missing');
  if (policy.mx.length === 0 && policy.mode !== 'none') {
    errors.add(seen.has('mx') ? 'no valid "mx" pattern' : '"mx" is missing (required unless mode is none)');
  }
  policy.errors = errors.done();
  policy.warnings = warnings.done();
  policy.valid = policy.errors.length === 0;
  return policy;
}

/** Control characters other than tab (which is whitespace in the grammar). */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** `mail.example.org` or `*.example.org` (lower case, no trailing dot). */
export function isValidMxPattern(pattern: string): boolean {
  return isValidHostname(pattern.startsWith('*.') ? pattern.slice(2) : pattern);
}

/**
 * Whether an MX host is covered by a policy mx pattern (RFC 8461 §4.1): exact match, or `*.` followed
 * by the host minus exactly one left-most label. Case and one trailing dot are ignored.
 * @example mxMatchesPattern('mx1.example.org', '*.example.org') // true
 * @example mxMatchesPattern('a.b.example.org', '*.example.org') // false
 */
export function mxMatchesPattern(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (h === '' || p === '') return false;
  if (!p.startsWith('*.')) return h === p;
  const dot = h.indexOf('.');
  if (dot <= 0) return false;
  return h.slice(dot + 1) === p.slice(2);
}
