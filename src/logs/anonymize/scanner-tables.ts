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
