import { isAscii } from 'node:buffer';
import { findHeaderEnd } from '../../message/header-fields.js';
import { normaliseAddress, type DataSubject } from '../identity.js';
import type { ReadScratch } from '../sources/read-file.js';
import { charsetClass } from './charset-class.js';
import { FoldSearch } from './fold-search.js';

/**
 * Decides from a message's raw bytes, without parsing it, whether `scanMessage` could find the
 * data subject in it. A `false` is a proof that the full scan finds nothing; a `true` only means
 * "scan it". Why the proof holds:
 *
 * An address hit needs one of the subject's domains in a searched text, and a name hit needs the
 * name's first word there (identity.ts: no domain, no address; the name pattern starts with its
 * first word). Every text `scanMessage` searches is a header value, a body part or an attachment
 * name, each made from the raw bytes by these steps only:
 *   1. unfolding: removes a line break but keeps the whitespace after it, so it never joins the
 *      two halves of a word;
 *   2. base64 and quoted-printable bodies: only when a Content-Transfer-Encoding field says
 *      "base64" or "quoted-printable" (an encoded word could spell it, but those are a trigger
 *      of their own), so these words are looked for in header fields only (see 4 for which);
 *   3. RFC 2047 encoded words: only decoded in header fields (and parameters), where "=?" shows;
 *   4. Content-Type / Content-Disposition parameters (filename, name, charset, boundary): libmime
 *      drops quotes and backslash escapes (`filename=ann@x".org"` is "ann@x.org") and joins and
 *      percent-decodes RFC 2231 segments (`name*0=`, `name*=utf-8''...`). Those fields are checked
 *      with quotes and backslashes removed, and any `*=`, `*0=`, `*0*=` key there is a trigger.
 *      Only the top header has fields the scan reads unless the message is multipart or
 *      message/*, which the top Content-Type tells (anything unclear there, such as quotes or
 *      escapes, widens the checks of 2, 3 and 4 to the whole message);
 *   5. charset decoding: an ASCII byte stays that ASCII character in UTF-8, Latin-1 and the other
 *      'ascii-safe' charsets of charset-class.ts; UTF-16, ISO-2022-JP (escapes may split a word),
 *      unknown labels (reported as problems by the full scan) and any label that is not a plain
 *      token are triggers;
 *   6. 8-bit header bytes read as UTF-8, and the matchers' NFC normalisation and Unicode case
 *      folding: a non-ASCII character can only stand for an ASCII one when it folds or normalises
 *      to it (FOLDS_TO_ASCII: KELVIN SIGN for k, LONG S for s, GREEK QUESTION MARK for ';',
 *      GREEK VARIA for '`'). So a subject whose needles use none of those characters cannot hide
 *      behind 8-bit bytes at all; otherwise the UTF-8 forms of those characters, or a multi-byte
 *      charset (which can encode them too), in a message with 8-bit bytes are triggers.
 *   Needles that are not ASCII (an IDN's Unicode form, a name with accents) can only appear
 *   through 8-bit bytes or a trigger above, so any 8-bit byte is a trigger for such a subject.
 *
 * Not triggers, because the full scan does not decode them either: uuencode, yEnc, BinHex,
 * HTML entities and URL escapes of anything but '@' (the domain must still be literal).
 * Case: the search runs on the bytes with ASCII case folded (fold-search.wat); the only non-ASCII
 * character JavaScript lowercases to ASCII is KELVIN SIGN, which needs 8-bit bytes.
 */
export interface Prefilter {
  (raw: Buffer): boolean;
  /**
   * A read buffer whose bytes the pre-filter searches where they are (in its WebAssembly memory):
   * read messages into it to save a copy.
   */
  readonly scratch: ReadScratch;
  /**
   * The search for every needle, when all are ASCII: a text made of the same bytes without any
   * of them holds no match (see scanMessage).
   */
  readonly needles?: FoldSearch;
}

/** Non-ASCII characters that NFC or case folding turn into an ASCII one, by that ASCII character. */
export const FOLDS_TO_ASCII: Readonly<Record<string, string>> = {
  k: '\u212a',
  s: '\u017f',
  ';': '\u037e',
  '`': '\u1fef',
};

/** The literal strings one of which any match must contain, in each of their forms. */
export function prefilterNeedles(subject: DataSubject): string[] {
  const out = new Set<string>();
  for (const a of subject.addresses) for (const d of normaliseAddress(a).domains) out.add(d.toLowerCase());
  for (const n of subject.names) {
    const first = n.normalize('NFC').trim().split(/\s+/)[0];
    if (first) out.add(first.toLowerCase());
  }
  return [...out];
}

const TRIGGERS = /base64|quoted-printable|=\?/i;
const MIME_FIELD = /content-(?:type|disposition)/gi;
const RFC2231_KEY = /\*\d*\*?[ \t\r\n]*=/;
// Characters of charset labels in use (`iso_8859-1:1987`, `shift_jis`, `x-mac-roman`).
const TOKEN_CHAR = /[a-z0-9._:+-]/;

/** Compiles the pre-filter of one data subject (see the reasoning above). */
export function compilePrefilter(subject: DataSubject): Prefilter {
  const needles = prefilterNeedles(subject);
  // Printable ASCII only: some single-byte charsets remap control characters.
  const asciiNeedles = needles.filter((n) => /^[\x20-\x7e]+$/.test(n));
  const nonAsciiSubject = asciiNeedles.length < needles.length;
  const folding = Object.keys(FOLDS_TO_ASCII).filter((c) => needles.some((n) => n.includes(c)));
  const foldBytes = folding.map((c) => Buffer.from(FOLDS_TO_ASCII[c] as string, 'utf8'));
  // Stripping quotes and backslashes is only sound for needles that hold neither.
  const stripSafe = asciiNeedles.every((n) => !n.includes('"') && !n.includes('\\'));
  // One pass over the bytes finds any needle with ASCII case ignored (the matchers' /iu only pairs
  // an ASCII letter with a non-ASCII character through the 8-bit checks below). A subject with no
  // ASCII needle at all still needs those checks, so it never matches here.
  const quick = new FoldSearch(asciiNeedles);

  const fields: FieldCheck = { asciiNeedles, stripSafe, multibyteHides: false };

  const canMatch = (raw: Buffer): boolean => {
    if (quick.any(raw)) return true;
    const eightBit = !isAscii(raw);
    if (eightBit && nonAsciiSubject) return true;
    if (eightBit && foldBytes.some((b) => raw.includes(b))) return true;
    fields.multibyteHides = eightBit && foldBytes.length > 0;
    // Transfer encodings and encoded words are only decoded in header fields: those of the top
    // header, or of any part when there may be nested parts. Only those become a string.
    const end = findHeaderEnd(raw);
    const header = raw.toString('latin1', 0, end < 0 ? raw.length : end);
    if (TRIGGERS.test(header)) return true;
    const top = checkFields(header, fields, true);
    if (top !== 'nested') return top === 'hit';
    const text = end < 0 ? header : raw.toString('latin1');
    return TRIGGERS.test(text) || checkFields(text, fields, false) === 'hit';
  };
  return Object.assign(canMatch, { scratch: quick.scratch }, nonAsciiSubject ? {} : { needles: quick });
}

interface FieldCheck {
  asciiNeedles: string[];
  stripSafe: boolean;
  /** 8-bit bytes and a needle with a character that a multi-byte charset could encode as another. */
  multibyteHides: boolean;
}

/**
 * Checks the Content-Type and Content-Disposition fields in `scope`. For the top header, also
 * tells whether the message may have nested parts (multipart, message/*, or a Content-Type whose
 * quotes or escapes make its type unclear) whose own fields must be checked too.
 */
function checkFields(scope: string, f: FieldCheck, top: boolean): 'hit' | 'nested' | 'clear' {
  let nested = false;
  MIME_FIELD.lastIndex = 0;
  for (let m = MIME_FIELD.exec(scope); m; m = MIME_FIELD.exec(scope)) {
    const field = fieldAt(scope, m.index).toLowerCase();
    const isType = m[0].length === 'content-type'.length;
    if (top && isType && /multipart|message|["\\]/.test(field)) nested = true;
    if (RFC2231_KEY.test(field)) return 'hit';
    if (isType && charsetTrigger(field, f.multibyteHides)) return 'hit';
    if (/["\\]/.test(field)) {
      if (!f.stripSafe) return 'hit';
      const plain = field.replace(/["\\]/g, '');
      if (f.asciiNeedles.some((n) => plain.includes(n))) return 'hit';
    }
  }
  return nested ? 'nested' : 'clear';
}

/** The header field starting at `from`, with its continuation lines. */
function fieldAt(text: string, from: number): string {
  let nl = text.indexOf('\n', from);
  while (nl >= 0 && (text[nl + 1] === ' ' || text[nl + 1] === '\t')) nl = text.indexOf('\n', nl + 1);
  return text.slice(from, nl < 0 ? text.length : nl);
}

const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * Whether a (lowercased) Content-Type field declares a charset that can hide text. Only a plain
 * `charset=token` or `charset="token"` is read; any other spelling counts as hiding.
 */
function charsetTrigger(field: string, multibyteHides: boolean): boolean {
  for (let i = field.indexOf('charset'); i >= 0; i = field.indexOf('charset', i + 7)) {
    let j = i + 7;
    while (isWs(field[j])) j++;
    if (field[j] === '*') return true;
    if (field[j] !== '=') continue; // another word that contains "charset", not the parameter
    j++;
    while (isWs(field[j])) j++;
    const quoted = field[j] === '"';
    if (quoted) j++;
    const start = j;
    while (j < field.length && TOKEN_CHAR.test(field[j] as string)) j++;
    const label = field.slice(start, j);
    if (quoted) {
      if (field[j] !== '"') return true;
    } else {
      while (isWs(field[j])) j++;
      if (j < field.length && field[j] !== ';') return true;
    }
    const c = label ? charsetClass(label) : 'hiding';
    if (c === 'hiding' || (c === 'multibyte' && multibyteHides)) return true;
  }
  return false;
}
