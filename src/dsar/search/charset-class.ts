import { TextDecoder } from 'node:util';

/**
 * How a declared charset can change what a literal byte search sees, as `scanMessage` decodes it:
 * - 'ascii-safe': ASCII bytes decode to themselves and 8-bit bytes decode to one non-ASCII character
 *   each (UTF-8 and the single-byte charsets). Only characters that fold or normalise to ASCII
 *   (see FOLDS_TO_ASCII in prefilter.ts) can then make a match the raw bytes do not show.
 * - 'multibyte': ASCII bytes are ASCII, but 8-bit byte sequences can encode any of those
 *   characters (GBK, GB18030, Big5, EUC-*, Shift_JIS), so with 8-bit bytes they need a full scan.
 * - 'hiding': anything else (UTF-16, ISO-2022-*, unknown labels): ASCII text may not appear as
 *   ASCII bytes at all, or the full scan reports the part as a problem, so it must run.
 */
export type CharsetClass = 'ascii-safe' | 'multibyte' | 'hiding';

// WHATWG encoding names (what TextDecoder reports for a label) per class. x-user-defined,
// UTF-16 and ISO-2022-JP (whose escape sequences may sit inside a word) are left out on purpose.
const ASCII_SAFE = new Set([
  'utf-8',
  'ibm866',
  'koi8-r',
  'koi8-u',
  'macintosh',
  'x-mac-cyrillic',
  'windows-874',
  ...[2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16].map((n) => `iso-8859-${n}`),
  'iso-8859-8-i',
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => `windows-125${n}`),
]);
const MULTIBYTE = new Set(['gbk', 'gb18030', 'big5', 'euc-jp', 'euc-kr', 'shift_jis']);

const cache = new Map<string, CharsetClass>();

/** Classifies a charset label exactly as `scanMessage` resolves it (lowercased and trimmed). */
export function charsetClass(label: string): CharsetClass {
  const cs = label.toLowerCase().trim();
  let c = cache.get(cs);
  if (c) return c;
  // scanMessage reads these itself, without TextDecoder.
  if (cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii' || cs === 'ascii') c = 'ascii-safe';
  else if (cs === 'iso-8859-1' || cs === 'latin1') c = 'ascii-safe';
  else {
    let enc = '';
    try {
      enc = new TextDecoder(cs).encoding;
    } catch {
      // Unknown: scanned as UTF-8 but reported as a problem, which only a full scan can do.
    }
    c = ASCII_SAFE.has(enc) ? 'ascii-safe' : MULTIBYTE.has(enc) ? 'multibyte' : 'hiding';
  }
  // Labels come from messages: bound the cache against a store full of made-up names.
  if (cache.size < 1000) cache.set(cs, c);
  return c;
}
