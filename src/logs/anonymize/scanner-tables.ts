/** Byte classes, key names and small byte helpers for the log scanner (kept apart so scanner.ts stays readable). */
// Byte classes. The hot loop looks each byte up once in TRIGGER and does nothing else for the ~90% of
// bytes that cannot start or end personal data; regular expressions would cost a string per line.
export const DIGIT = 1;
export const HEX = 2;
export const ALNUM = 4;
export const ATEXT = 8;
export const DOMAIN = 16;
export const HOSTCH = 32;
export const KEYCH = 64;
export const DOTCLS = 128;
export const CLS = new Uint8Array(256);
export const T_DIGIT = 1;
export const T_COLON = 2;
export const T_AT = 3;
export const T_EQ = 4;
export const T_PAREN = 5;
export const TRIGGER = new Uint8Array(256);
{
  const set = (chars: string, flag: number): void => {
    for (const ch of chars) CLS[ch.charCodeAt(0)]! |= flag;
  };
  const digits = '0123456789';
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const upper = lower.toUpperCase();
  set(digits, DIGIT | HEX | ALNUM | ATEXT | DOMAIN | HOSTCH);
  set('abcdefABCDEF', HEX);
  set(lower + upper, ALNUM | ATEXT | DOMAIN | HOSTCH | KEYCH);
  set("!#$%&'*+-/=?^_`{|}~.", ATEXT);
  set('.-', DOMAIN | HOSTCH);
  set('_', HOSTCH | KEYCH);
  set('.', DOTCLS);
  for (let b = 0x80; b < 256; b++) CLS[b]! |= ATEXT | DOMAIN;
  for (const d of digits) TRIGGER[d.charCodeAt(0)] = T_DIGIT;
  TRIGGER[0x3a] = T_COLON;
  TRIGGER[0x40] = T_AT;
  TRIGGER[0x3d] = T_EQ;
  TRIGGER[0x28] = T_PAREN;
}

export const LT = 0x3c;
export const GT = 0x3e;
export const DOT = 0x2e;
export const COLON = 0x3a;
export const LBRACKET = 0x5b;
export const QUOTE = 0x22;

/** `key=` names whose value is a user name or an address (Postfix, Dovecot, Sendmail, Exim, PAM). */
export const USER_KEYS = new Set([
  'user',
  'sasl_username',
  'sasl_sender',
  'authid',
  'ruser',
  'from',
  'to',
  'orig_to',
  'A',
  'U',
  'set_id',
]);
export const KEYS_BY_LENGTH: string[][] = [];
for (const k of [...USER_KEYS, 'H', 'helo']) (KEYS_BY_LENGTH[k.length] ??= []).push(k);

/** The user key spelled by b[s, e), compared byte by byte so that `size=`, `delay=` cost no string. */
export function userKeyAt(b: Buffer, s: number, e: number): string | undefined {
  const list = KEYS_BY_LENGTH[e - s];
  if (!list) return undefined;
  for (const k of list) if (matchAt(b, s, k)) return k;
  return undefined;
}

/** Lengths of the names above: most `key=` in a line (size=, delay=, dsn=) are rejected without a string. */
export const KEY_LENGTHS = new Uint8Array(16);
for (const k of [...USER_KEYS, 'H', 'helo']) KEY_LENGTHS[k.length] = 1;
/** Dovecot services that log as `service(user)`. */
export const DOVECOT_SERVICES = new Set([
  'imap',
  'pop3',
  'lmtp',
  'submission',
  'managesieve',
  'sieve',
  'doveadm',
  'indexer-worker',
  'quota-status',
  'lda',
  'dovecot-lda',
]);
/** Postfix header_checks/body_checks actions that log the text they matched. */
export const CHECK_ACTIONS = new Set([
  'warning',
  'info',
  'reject',
  'hold',
  'discard',
  'filter',
  'redirect',
  'replace',
  'prepend',
  'ignore',
  'bcc',
]);

export const REDACTED = '[redacted]';

/** Index after the run of digits and dots starting at j. */
export function skipDigits(b: Buffer, j: number, le: number): number {
  while (j < le && (CLS[b[j]!]! & DIGIT || b[j] === DOT)) j++;
  return j;
}

/** Whether b holds the ASCII string s at `at`. */
export function matchAt(b: Buffer, at: number, s: string): boolean {
  if (at + s.length > b.length) return false;
  for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
  return true;
}

/** Whether the ASCII string s ends just before `at`. */
export function precededBy(b: Buffer, at: number, s: string): boolean {
  return at >= s.length && matchAt(b, at - s.length, s);
}

/** Skips a `key=` glued to the front of an address (`sasl_username=alice@x`); `SRS0=..=..@` is not a key. */
export function afterKey(b: Buffer, s: number, at: number): number {
  let k = s;
  while (k < at && (b[k]! === 0x5f || (b[k]! >= 0x61 && b[k]! <= 0x7a))) k++;
  return k > s && k < at && b[k] === 0x3d ? k + 1 : s;
}

/** Bytes a bare `key=value` value runs over (it ends at space, comma, semicolon, bracket, quote, tab). */
export function isValueChar(c: number): boolean {
  return c !== 0x20 && c !== 0x2c && c !== 0x3b && c !== 0x29 && c !== 0x5d && c !== 0x22 && c !== 0x09;
}

/** Whether b[s, e) holds only hex digits, dots and colons (an address, not a name). */
export function isIpLike(b: Buffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (!(CLS[b[k]!]! & HEX) && b[k] !== DOT && b[k] !== COLON) return false;
  return true;
}

/** End of the text a header/body check quoted: just before ` from host[addr];`, else the line end. */
export function checksValueEnd(b: Buffer, vs: number, le: number): number {
  // Postfix writes "<text> from <client>; from=<..> to=<..> proto=.. helo=<..>"; the text itself may
  // contain " from ", so look for the last " from " that is followed by "[...];".
  for (let k = le - 6; k >= vs; k--) {
    if (b[k] === 0x20 && matchAt(b, k, ' from ')) {
      let e = k + 6;
      while (e < le && b[e] !== 0x20 && b[e] !== 0x3b) e++;
      if (b[e] === 0x3b && b[e - 1] === 0x5d) return k;
    }
  }
  return le;
}

/** Last bytes of the user keys: most `key=` in a line (size=, delay=, dsn=) end otherwise and are passed at once. */
export const KEY_LAST = new Uint8Array(256);
for (const k of [...USER_KEYS, 'H', 'helo']) KEY_LAST[k.charCodeAt(k.length - 1)] = 1;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digitsAt(b: Buffer, at: number, n: number): boolean {
  for (let k = at; k < at + n; k++) if (!(b[k]! >= 0x30 && b[k]! <= 0x39)) return false;
  return true;
}

/**
 * Where the line's text starts after its timestamp: `Nov  1 00:00:01 ` (also with a fraction), ISO 8601 (`2026-11-01T00:00:01.123+01:00 `,
 * Exim's `2026-11-01 00:00:01 `), optionally behind an RFC 5424 `<34>1 `. A timestamp holds no personal
 * data but half the digits and colons of a line, each of which would stop the scanner; the grammar is
 * exact, so nothing that could be an address is ever skipped. Returns ls when the line starts otherwise.
 */
export function timestampEnd(b: Buffer, ls: number, le: number): number {
  if (le - ls < 17) return ls;
  const c = b[ls]!;
  if (c >= 0x41 && c <= 0x5a) {
    const classic =
      b[ls + 3] === 0x20 &&
      (b[ls + 4] === 0x20 || isDigit(b[ls + 4]!)) &&
      isDigit(b[ls + 5]!) &&
      b[ls + 6] === 0x20 &&
      isDigit(b[ls + 7]!) &&
      isDigit(b[ls + 8]!) &&
      b[ls + 9] === COLON &&
      isDigit(b[ls + 10]!) &&
      isDigit(b[ls + 11]!) &&
      b[ls + 12] === COLON &&
      isDigit(b[ls + 13]!) &&
      isDigit(b[ls + 14]!);
    if (!classic) return ls;
    let k = ls + 15;
    if (b[k] === DOT) {
      // Postfix 3.4+ maillog_file: `Mar  1 10:00:01.123456 `
      const f = ++k;
      while (k < le && k - f < 9 && isDigit(b[k]!)) k++;
      if (k === f) return ls;
    }
    return b[k] === 0x20 ? k + 1 : ls;
  }
  let k = ls;
  if (c === LT) {
    // RFC 5424: <PRI>VERSION SP TIMESTAMP
    k++;
    while (k < ls + 4 && digitsAt(b, k, 1)) k++;
    if (k === ls + 1 || b[k] !== GT || !digitsAt(b, k + 1, 1) || b[k + 2] !== 0x20) return ls;
    k += 3;
  }
  if (
    !(le - k >= 20 && digitsAt(b, k, 4) && b[k + 4] === 0x2d && digitsAt(b, k + 5, 2) && b[k + 7] === 0x2d) ||
    !(digitsAt(b, k + 8, 2) && (b[k + 10] === 0x54 || b[k + 10] === 0x20) && digitsAt(b, k + 11, 2)) ||
    !(b[k + 13] === COLON && digitsAt(b, k + 14, 2) && b[k + 16] === COLON && digitsAt(b, k + 17, 2))
  )
    return ls;
  k += 19;
  if (b[k] === DOT) {
    const f = ++k;
    while (k < le && k - f < 9 && digitsAt(b, k, 1)) k++;
    if (k === f) return ls;
  }
  if (b[k] === 0x5a) k++;
  else if ((b[k] === 0x2b || b[k] === 0x2d) && digitsAt(b, k + 1, 2)) {
    k += 3;
    if (b[k] === COLON) k++;
    if (!digitsAt(b, k, 2)) return ls;
    k += 2;
  }
  return b[k] === 0x20 ? k + 1 : ls;
}

/**
 * Where a syslog line's message starts: after the timestamp (see timestampEnd), the host name when it is
 * a name (starts with a letter, no colon: an IP address there is still scanned and replaced) and the
 * program tag `postfix/smtpd[5497]: `. None of these hold personal data or anything the scanner would
 * replace; skipping them saves a third of the scanner's stops. Returns ls when the line starts otherwise.
 */
export function headerEnd(b: Buffer, ls: number, le: number): number {
  const ts = timestampEnd(b, ls, le);
  if (ts === ls || b[ls] === LT) return ts;
  const cls = CLS; // a local: module bindings are re-read on every use
  let k = ts;
  let c = cls[b[k]!]!;
  if (!(c & ALNUM) || c & DIGIT) return ts;
  while (k < le && cls[b[k]!]! & HOSTCH) k++;
  if (b[k] !== 0x20) return ts;
  const host = ++k;
  // A program name starts with a letter; a digit there may be an address (`mx 192.0.2.7: ...`).
  c = cls[b[k]!]!;
  if (!(c & ALNUM) || c & DIGIT) return host;
  while (k < le && (cls[b[k]!]! & HOSTCH || b[k] === 0x2f)) k++;
  if (b[k] === LBRACKET) {
    const p = ++k;
    while (k < le && cls[b[k]!]! & DIGIT) k++;
    if (k === p || b[k] !== 0x5d) return host;
    k++;
  }
  return b[k] === COLON && b[k + 1] === 0x20 ? k + 2 : host;
}
