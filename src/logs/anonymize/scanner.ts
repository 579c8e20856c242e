import type { Mapper } from './mapper.js';
import type { OutBuffer } from './out-buffer.js';
import {
  ALNUM,
  ATEXT,
  CHECK_ACTIONS,
  CLS,
  COLON,
  DIGIT,
  DOMAIN,
  DOT,
  DOTCLS,
  DOVECOT_SERVICES,
  GT,
  HEX,
  HOSTCH,
  KEYCH,
  KEY_LAST,
  KEY_LENGTHS,
  LBRACKET,
  LT,
  QUOTE,
  REDACTED,
  TRIGGER,
  T_AT,
  T_COLON,
  T_DIGIT,
  T_EQ,
  afterKey,
  checksValueEnd,
  isIpLike,
  isValueChar,
  matchAt,
  precededBy,
  skipDigits,
  headerEnd,
  userKeyAt,
} from './scanner-tables.js';

/**
 * Anonymises log lines byte by byte. `process` handles whole lines only (the caller splits chunks at
 * newlines), copying untouched spans to `out` lazily: `copied` marks how far input has been emitted.
 */
export class LineScanner {
  private src!: Buffer;
  private out!: OutBuffer;
  private copied = 0;

  constructor(private readonly m: Mapper) {}

  /** Anonymises buf[start, end), which must end at a line boundary (or the end of input). */
  process(buf: Buffer, start: number, end: number, out: OutBuffer): void {
    this.src = buf;
    this.out = out;
    this.copied = start;
    let ls = start;
    while (ls < end) {
      let le = buf.indexOf(10, ls);
      if (le < 0 || le >= end) le = end;
      this.line(ls, le);
      ls = le + 1;
    }
    out.copy(buf, this.copied, end);
  }

  private emit(from: number, text: string, resume: number): void {
    this.out.copy(this.src, this.copied, from);
    this.out.text(text);
    this.copied = resume;
  }

  /**
   * Exchange message tracking CSV: the `#Fields:` header names the columns. The subject column is
   * redacted and client host names reduced; addresses and IPs in other columns are found as usual.
   * Threaded runs hand the header to every worker through this method.
   */
  setCsvFields(header: string): void {
    const cols = header
      .replace(/^#Fields:\s*/, '')
      .split(',')
      .map((c) => c.trim());
    this.csvSubject = this.m.policy.redactChecks ? cols.indexOf('message-subject') : -1;
    this.csvHost = this.m.policy.hosts ? cols.indexOf('client-hostname') : -1;
  }

  private csvSubject = -1;
  private csvHost = -1;

  private line(ls: number, le: number): void {
    this.m.counts.lines++;
    const b = this.src;
    if (b[ls] === 0x23 && matchAt(b, ls, '#Fields: ')) this.setCsvFields(b.toString('latin1', ls, le));
    else if ((this.csvSubject >= 0 || this.csvHost >= 0) && b[ls] !== 0x23) {
      this.csvLine(ls, le);
      return;
    }
    this.scan(headerEnd(b, ls, le), ls, le);
  }

  /** A CSV data row: special columns are replaced, the other spans scanned like any text. */
  private csvLine(ls: number, le: number): void {
    const b = this.src;
    let col = 0;
    let cs = ls;
    while (cs <= le) {
      let ce = cs;
      if (b[cs] === QUOTE) {
        ce = cs + 1;
        while (ce < le && !(b[ce] === QUOTE && b[ce + 1] !== QUOTE)) ce += b[ce] === QUOTE ? 2 : 1;
        ce = Math.min(ce + 1, le);
      }
      while (ce < le && b[ce] !== 0x2c) ce++;
      if (col === this.csvSubject && ce > cs) {
        this.m.counts.redacted++;
        this.emit(cs, REDACTED, ce);
      } else if (col === this.csvHost && ce > cs && !isIpLike(b, cs, ce)) {
        this.hostAt(cs, ce);
      } else this.scan(cs, ls, ce);
      col++;
      cs = ce + 1;
    }
  }

  /** Scans b[from, end) of the line starting at ls. */
  private scan(from: number, ls: number, le: number): void {
    const b = this.src;
    // Module bindings are live and re-read on every use; locals let the loop keep them in registers.
    const trigger = TRIGGER;
    const cls = CLS;
    let i = from;
    while (i < le) {
      let t = trigger[b[i]!]!;
      while (t === 0 && ++i < le) t = trigger[b[i]!]!;
      if (t === 0) break;
      switch (t) {
        case T_DIGIT:
          // Most digits are timestamps, pids and sizes: an IPv4 address has a dot within its first four
          // bytes and does not continue a word, so those are passed over without a call.
          if (
            (i > ls && cls[b[i - 1]!]! & (ALNUM | DOTCLS)) ||
            (b[i + 1] !== DOT && b[i + 2] !== DOT && b[i + 3] !== DOT)
          ) {
            i++;
            while (i < le && cls[b[i]!]! & DIGIT) i++;
          } else i = this.digit(i, ls, le);
          break;
        case T_COLON:
          // An IPv6 address continues after a colon with a hex digit or another colon, or ends in "::".
          if (b[i + 1] === 0x20 && b[i - 1] !== COLON) {
            // "queue-id: ", "Login: ": only a header_checks line can start here, never an address.
            const r = this.checksLine(i, ls, le);
            i = r >= 0 ? r : i + 1;
          } else if (cls[b[i + 1]!]! & HEX || b[i + 1] === COLON || b[i - 1] === COLON || b[i + 1] === 0x20) {
            i = this.colon(i, ls, le);
          } else i++;
          break;
        case T_AT:
          i = this.at(i, le);
          break;
        case T_EQ:
          i = this.eq(i, le);
          break;
        default:
          i = this.paren(i, le);
      }
    }
  }

  /** An IPv4 address starting at i, else skip the digit run. */
  private digit(i: number, ls: number, le: number): number {
    const b = this.src;
    if (i > ls && (CLS[b[i - 1]!]! & DIGIT || b[i - 1] === DOT)) return i + 1;
    let j = i;
    let n = 0;
    for (let k = 0; k < 4; k++) {
      let v = 0;
      const s = j;
      while (j < le && j - s < 4 && CLS[b[j]!]! & DIGIT) v = v * 10 + b[j++]! - 48;
      if (j === s || j - s > 3 || v > 255) return skipDigits(b, j, le);
      n = n * 256 + v;
      if (k < 3) {
        if (j >= le || b[j] !== DOT) return skipDigits(b, j, le);
        j++;
      }
    }
    if (j < le && (CLS[b[j]!]! & DIGIT || (b[j] === DOT && j + 1 < le && CLS[b[j + 1]!]! & DIGIT))) {
      return skipDigits(b, j, le);
    }
    if (this.m.policy.ip === 'keep') return j;
    this.address(i, j, null, n >>> 0, ls);
    return j;
  }

  /**
   * Replaces the address b[s, e) with `text`, or when that is null with the mapper's rewrite of the
   * IPv4 address v4; `name[addr]` also has its host name reduced.
   */
  private address(s: number, e: number, text: string | null, v4: number, ls: number): void {
    const b = this.src;
    const out = this.out;
    if (this.m.policy.hosts && s > ls + 1 && b[s - 1] === LBRACKET) {
      // Sendmail writes "relay=name [addr]" for the connecting client, Postfix "name[addr]".
      const gap = s > ls + 2 && b[s - 2] === 0x20 ? 1 : 0;
      const he = s - 1 - gap;
      let hs = he;
      while (hs > this.copied && hs > ls && CLS[b[hs - 1]!]! & HOSTCH) hs--;
      if (hs < he && precededBy(b, hs, 'relay=') === (gap === 1) && CLS[b[hs]!]! & ALNUM) {
        out.copy(b, this.copied, hs);
        this.m.writeHost(b, hs, he, out);
        out.copy(b, he, s);
        this.put(s, e, text, v4);
        return;
      }
    }
    out.copy(b, this.copied, s);
    this.put(s, e, text, v4);
  }

  /** Replaces the client host name b[s, e) with its registrable domain. */
  private hostAt(s: number, e: number): void {
    this.out.copy(this.src, this.copied, s);
    this.m.writeHost(this.src, s, e, this.out);
    this.copied = e;
  }

  private put(s: number, e: number, text: string | null, v4: number): void {
    if (text === null) this.m.writeIpv4(this.src, s, e, v4, this.out);
    else this.out.text(text);
    this.copied = e;
  }

  private colon(i: number, ls: number, le: number): number {
    const b = this.src;
    if (b[i + 1] === 0x20) {
      const r = this.checksLine(i, ls, le);
      if (r >= 0) return r;
    }
    if (this.m.policy.ip === 'keep') return i + 1;
    let s = i;
    while (s > this.copied && s > ls && CLS[b[s - 1]!]! & HEX) s--;
    if (s > ls && CLS[b[s - 1]!]! & ALNUM) s = i + 1; // "IPv6:2001:db8::1": the address starts after the colon
    let j = s;
    let colons = 0;
    let dots = 0;
    let double = false;
    while (j < le) {
      const c = b[j]!;
      if (c === COLON) {
        colons++;
        if (b[j - 1] === COLON && j > s) double = true;
      } else if (c === DOT) dots++;
      else if (!(CLS[c]! & HEX)) break;
      j++;
    }
    if (colons < 2 || (!double && colons < 7 && !(colons === 6 && dots === 3))) return Math.max(j, i + 1);
    if (j < le && CLS[b[j]!]! & ALNUM) return Math.max(j, i + 1);
    let e = j;
    if (b[e - 1] === COLON && b[e - 2] !== COLON) e--;
    if (b[e - 1] === DOT) e--;
    const rep = this.m.ipv6At(b, s, e);
    if (rep === null) return Math.max(j, i + 1);
    this.address(s, e, rep, 0, ls);
    return e;
  }

  /** `warning: header Subject: ... from host[ip]; from=<..>`: the quoted text is redacted. Returns -1 if not one. */
  private checksLine(i: number, ls: number, le: number): number {
    if (!this.m.policy.redactChecks) return -1;
    const b = this.src;
    let kind: 'header' | 'body';
    if (matchAt(b, i + 2, 'header ')) kind = 'header';
    else if (matchAt(b, i + 2, 'body ')) kind = 'body';
    else return -1;
    let ws = i;
    while (ws > ls && CLS[b[ws - 1]!]! & KEYCH) ws--;
    if (!CHECK_ACTIONS.has(b.toString('latin1', ws, i))) return -1;
    let vs = i + 2 + kind.length + 1;
    if (kind === 'header') {
      // The header name stays: it says which rule fired without saying what the message said.
      while (vs < le && b[vs] !== COLON && b[vs] !== 0x20) vs++;
      if (b[vs] === COLON) vs++;
      if (b[vs] === 0x20) vs++;
    }
    const ve = checksValueEnd(b, vs, le);
    this.m.counts.redacted++;
    this.emit(vs, REDACTED, ve);
    return ve;
  }

  private at(i: number, le: number): number {
    const b = this.src;
    let s = i;
    if (i > this.copied && b[i - 1] === QUOTE) {
      s = i - 1;
      while (s > this.copied && b[s - 1] !== QUOTE) s--;
      s = s > this.copied ? s - 1 : i;
    } else {
      while (s > this.copied && CLS[b[s - 1]!]! & ATEXT) s--;
      s = afterKey(b, s, i);
    }
    let j = i + 1;
    while (j < le && CLS[b[j]!]! & DOMAIN) j++;
    let de = j;
    while (de > i + 1 && b[de - 1] === DOT) de--;
    if (s === i) return j;
    if (s >= 2 && b[s - 1] === LT && b[s - 2] === 0x20) this.eximLocalName(s - 2);
    let upper = false;
    for (let k = i + 1; k < de; k++) if (b[k]! >= 0x41 && b[k]! <= 0x5a) upper = true;
    // Message-IDs are nearly all unique: caching them would only evict the addresses that do repeat.
    const once = s >= 12 && b[s - 1] === LT && precededBy(b, s - 1, 'message-id=');
    if (!upper && this.m.policy.emailDomain === 'keep') {
      this.out.copy(b, this.copied, s);
      if (
        once ? this.m.writeOnceLocal(b, s, i, de, this.out) : this.m.writeCachedEmailLocal(b, s, de, this.out)
      ) {
        this.copied = i;
        return j;
      }
      this.copied = s;
    }
    // One slice of "local@domain" is the cache key; domains compare case-insensitively.
    const address = upper
      ? b.toString('latin1', s, i + 1) + b.toString('latin1', i + 1, de).toLowerCase()
      : b.toString('latin1', s, de);
    const local = this.m.emailLocal(address, !once);
    if (!upper && !once) this.m.rememberEmailLocal(b, s, de, local);
    this.emit(s, local, i);
    if (this.m.policy.emailDomain !== 'keep' && de > i + 1) {
      this.emit(i + 1, this.m.emailDomain(address.slice(i + 1 - s)), de);
    }
    return j;
  }

  /** Exim local deliveries log `=> alice <alice@example.org>`: the bare user name before the address. */
  private eximLocalName(sp: number): void {
    const b = this.src;
    if (!this.m.policy.users) return;
    let ts = sp;
    while (ts > this.copied && b[ts - 1] !== 0x20) ts--;
    if (ts === sp || ts < 3 || b[ts - 1] !== 0x20 || b[ts - 2] !== GT) return;
    const arrow = b[ts - 3];
    if (arrow !== 0x3d && arrow !== 0x2d && arrow !== 0x2a) return; // "=>", "->", "*>"
    for (let k = ts; k < sp; k++) if (b[k] === 0x40) return;
    this.out.copy(b, this.copied, ts);
    this.m.writeUser(b, ts, sp, this.out);
    this.copied = sp;
  }

  /** `key=value` where key names a user or an address. */
  private eq(i: number, le: number): number {
    const b = this.src;
    if (!this.m.policy.users || !KEY_LAST[b[i - 1]!]) return i + 1;
    let ks = i;
    while (ks > this.copied && CLS[b[ks - 1]!]! & KEYCH) ks--;
    if (ks === i || (ks > 0 && CLS[b[ks - 1]!]! & ALNUM) || !KEY_LENGTHS[i - ks]) return i + 1;
    const key = userKeyAt(b, ks, i);
    if (key === undefined) return i + 1;
    if (key === 'H') return this.eximHost(i + 1, le);
    if (key === 'helo') return this.heloName(i + 1, le);
    let vs = i + 1;
    let ve: number;
    if (b[vs] === LT) {
      vs++;
      ve = vs;
      while (ve < le && b[ve] !== GT) ve++;
    } else {
      ve = vs;
      while (ve < le && isValueChar(b[ve]!)) ve++;
    }
    if (key === 'A') {
      // Exim: A=plain:alice, A=dovecot_login:alice
      let c = vs;
      while (c < ve && b[c] !== COLON) c++;
      if (c === ve) return ve;
      vs = c + 1;
    }
    return this.userValue(vs, ve);
  }

  /** Exim `H=name (helo) [addr]`: the host name is reduced like Postfix's `name[addr]`. */
  private eximHost(vs: number, le: number): number {
    const b = this.src;
    if (!this.m.policy.hosts || !(CLS[b[vs]!]! & ALNUM)) return vs;
    let ve = vs;
    while (ve < le && CLS[b[ve]!]! & HOSTCH) ve++;
    if (b[ve] !== 0x20 || isIpLike(b, vs, ve)) return vs;
    this.hostAt(vs, ve);
    return ve;
  }

  /** Postfix `helo=<name>`: the client's own name for itself (often "johns-laptop"), reduced like a host name. */
  private heloName(vs: number, le: number): number {
    const b = this.src;
    if (!this.m.policy.hosts || b[vs] !== LT || !(CLS[b[vs + 1]!]! & ALNUM)) return vs;
    let ve = vs + 1;
    while (ve < le && CLS[b[ve]!]! & HOSTCH) ve++;
    if (b[ve] !== GT || isIpLike(b, vs + 1, ve)) return vs;
    this.hostAt(vs + 1, ve);
    return ve;
  }

  private userValue(vs: number, ve: number): number {
    const b = this.src;
    if (ve <= vs) return ve;
    for (let k = vs; k < ve; k++) {
      // Addresses are the e-mail rule's; IP-looking values are the address rules'.
      if (b[k] === 0x40) return vs;
    }
    if (CLS[b[vs]!]! & DIGIT && isIpLike(b, vs, ve)) return vs;
    this.out.copy(b, this.copied, vs);
    this.m.writeUser(b, vs, ve, this.out);
    this.copied = ve;
    return ve;
  }

  /** Dovecot `imap(alice)` session prefixes and `passwd-file(alice,192.0.2.1)` auth lines. */
  private paren(i: number, le: number): number {
    if (!this.m.policy.users) return i + 1;
    const b = this.src;
    let ve = i + 1;
    while (ve < le && b[ve] !== 0x29 && b[ve] !== 0x2c && b[ve] !== 0x20) ve++;
    if (ve >= le || b[ve] === 0x20 || ve === i + 1) return i + 1;
    let ws = i;
    while (ws > this.copied && (CLS[b[ws - 1]!]! & KEYCH || b[ws - 1] === 0x2d)) ws--;
    const service = DOVECOT_SERVICES.has(b.toString('latin1', ws, i));
    const authLine = b[ve] === 0x2c && ve + 1 < le && (CLS[b[ve + 1]!]! & HEX || b[ve + 1] === COLON);
    if (!service && !authLine) return i + 1;
    return this.userValue(i + 1, ve);
  }
}
