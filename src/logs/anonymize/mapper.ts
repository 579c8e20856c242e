import { createHmac, hash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';
import { LOG_ANON_CACHE_ENTRIES } from '../../core/limits.js';
import { ByteCache } from './byte-cache.js';
import { CryptoPan } from './crypto-pan.js';
import { formatIpv6, maskIpv6, parseIpv6Hex } from './ipv6.js';
import type { AnonymizerKeys } from './keys.js';
import type { OutBuffer } from './out-buffer.js';
import type { AnonymizePolicy } from './policy.js';

/** Counts of what was replaced, for the receipt. */
export interface AnonymizeCounts {
  lines: number;
  ipv4: number;
  ipv6: number;
  emails: number;
  users: number;
  hosts: number;
  redacted: number;
}

export function emptyCounts(): AnonymizeCounts {
  return { lines: 0, ipv4: 0, ipv6: 0, emails: 0, users: 0, hosts: 0, redacted: 0 };
}

/** A Map that forgets everything when full: memory stays bounded and hot entries come straight back. */
class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  set(k: K, v: V): void {
    if (this.map.size >= LOG_ANON_CACHE_ENTRIES) this.map.clear();
    this.map.set(k, v);
  }
}

/**
 * Turns one piece of personal data into its replacement. Pure functions of (key, policy, input), so
 * every process, thread and file run with the same key file agree: pseudonyms stay stable across files.
 */
export class Mapper {
  readonly counts = emptyCounts();
  private readonly cpan: CryptoPan | undefined;
  private readonly v4 = new BoundedCache<number, string>();
  private readonly v6 = new BoundedCache<string, string | null>();
  private readonly pseudo = new BoundedCache<string, string>();
  private readonly hostCache = new BoundedCache<string, string>();
  private readonly v4Mask: number;
  private readonly emailBytes = new ByteCache();
  private readonly userCache = new ByteCache();
  private readonly hostTails = new ByteCache(4096);
  private readonly v6Groups = new Uint16Array(8);
  /** Octets an IPv4 truncation keeps when it keeps whole octets, else -1. */
  private readonly v4WholeOctets: number;
  /** HMAC-SHA256 pads (RFC 2104) with room after the inner one for the message. */
  private readonly macInner: Buffer;
  private readonly macOuter: Buffer;
  /** Views of the inner pad and a message of each length, made once: a view per hash would cost more. */
  private readonly macInputs: Buffer[] = [];

  constructor(
    readonly policy: AnonymizePolicy,
    private readonly keys: AnonymizerKeys,
  ) {
    this.cpan = policy.ip === 'crypto-pan' ? new CryptoPan(keys.cryptoPan) : undefined;
    this.v4Mask = policy.ipv4Prefix === 0 ? 0 : (0xffffffff << (32 - policy.ipv4Prefix)) >>> 0;
    this.v4WholeOctets = policy.ip === 'truncate' && policy.ipv4Prefix % 8 === 0 ? policy.ipv4Prefix / 8 : -1;
    this.macInner = Buffer.alloc(MAC_BLOCK + MAC_MAX_MESSAGE, 0x36);
    this.macOuter = Buffer.alloc(MAC_BLOCK + 32, 0x5c);
    for (let i = 0; i < keys.pseudonym.length && i < MAC_BLOCK; i++) {
      this.macInner[i]! ^= keys.pseudonym[i]!;
      this.macOuter[i]! ^= keys.pseudonym[i]!;
    }
  }

  /** The replacement text of an IPv4 address given as a 32-bit number. */
  ipv4(n: number): string {
    this.counts.ipv4++;
    // Truncation is cheaper than a cache lookup; only Crypto-PAn's AES work is worth remembering.
    if (!this.cpan) return this.computeV4(n);
    let s = this.v4.get(n);
    if (s === undefined) {
      s = this.computeV4(n);
      this.v4.set(n, s);
    }
    return s;
  }

  private computeV4(n: number): string {
    if (this.policy.ip === 'keep') return dotted(n);
    if (this.cpan) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return dotted(this.cpan.anonymize(b).readUInt32BE(0));
    }
    return dotted((n & this.v4Mask) >>> 0);
  }

  /** The replacement of a candidate IPv6 text, or null when it is not an IPv6 address. */
  ipv6(text: string): string | null {
    let s = this.v6.get(text);
    if (s === undefined) {
      s = this.computeV6(text);
      this.v6.set(text, s);
    }
    if (s !== null) this.counts.ipv6++;
    return s;
  }

  /** The replacement of the IPv6 candidate b[s, e), or null when it is not an IPv6 address. */
  ipv6At(b: Buffer, s: number, e: number): string | null {
    if (this.policy.ip === 'truncate' && parseIpv6Hex(b, s, e, this.v6Groups)) {
      this.counts.ipv6++;
      maskIpv6(this.v6Groups, this.policy.ipv6Prefix);
      return formatIpv6(this.v6Groups);
    }
    return this.ipv6(b.toString('latin1', s, e));
  }

  private computeV6(text: string): string | null {
    if (!ipaddr.IPv6.isValid(text)) return null;
    const addr = ipaddr.IPv6.parse(text);
    if (this.policy.ip === 'keep') return text;
    if (addr.isIPv4MappedAddress()) {
      const v4 = addr.toIPv4Address().toByteArray();
      const n = ((v4[0]! << 24) | (v4[1]! << 16) | (v4[2]! << 8) | v4[3]!) >>> 0;
      return `::ffff:${this.computeV4(n)}`;
    }
    const bytes = Buffer.from(addr.toByteArray());
    let out: Uint8Array;
    if (this.cpan) out = this.cpan.anonymize(bytes);
    else {
      out = bytes;
      const p = this.policy.ipv6Prefix;
      for (let i = 0; i < 16; i++) {
        const keep = Math.max(0, Math.min(8, p - i * 8));
        out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
      }
    }
    return ipaddr.fromByteArray([...out]).toString();
  }

  /**
   * Pseudonym of an e-mail local part, given the address with its domain in lower case. The HMAC covers
   * the whole address, so the same local part at two domains (two different people) gets two pseudonyms.
   */
  emailLocal(address: string, cache = true): string {
    // Already a pseudonym (a second run over the same file): leave it, so anonymising is idempotent.
    if (this.isPseudonym(address, address.indexOf('@'))) return address.slice(0, address.indexOf('@'));
    this.counts.emails++;
    return cache ? this.pseudonym(address) : this.mac(address);
  }

  /** Replacement of an e-mail domain when the policy does not keep it. */
  emailDomain(domain: string): string {
    const d = domain.toLowerCase();
    if (this.policy.emailDomain === 'registrable')
      return getDomain(d) ?? this.pseudonym(`@${d}`) + '.invalid';
    return `${this.pseudonym(`@${d}`)}.invalid`;
  }

  /** Appends the pseudonym made before for the address in b[s, e) (domain already lower case); false if none. */
  writeCachedEmailLocal(b: Buffer, s: number, e: number, out: OutBuffer): boolean {
    const p = this.emailBytes.find(b, s, e);
    if (p < 0) return false;
    this.counts.emails++;
    this.emailBytes.writeValue(p, out);
    return true;
  }

  rememberEmailLocal(b: Buffer, s: number, e: number, local: string): void {
    this.emailBytes.set(b, s, e, local);
  }

  /**
   * Appends the pseudonym of the local part of b[s, de), an address seen once (a Message-ID) with its
   * '@' at `at` and no upper-case or 8-bit byte in its domain: the bytes HMAC covers are then exactly
   * the input's, so they are hashed where they lie and the hex written straight out, with no string.
   * Returns false when that does not hold; the caller then takes the general path.
   */
  writeOnceLocal(b: Buffer, s: number, at: number, de: number, out: OutBuffer): boolean {
    const n = de - s;
    if (n > MAC_MAX_MESSAGE || this.keys.pseudonym.length > MAC_BLOCK) return false;
    for (let k = at + 1; k < de; k++) if (b[k]! >= 0x80) return false;
    if (this.isPseudonymAt(b, s, at)) {
      out.copy(b, s, at);
      return true;
    }
    this.counts.emails++;
    b.copy(this.macInner, MAC_BLOCK, s, de);
    out.text(this.policy.pseudonymPrefix);
    out.textPrefix(this.macOfInner(n), this.policy.pseudonymHexDigits);
    return true;
  }

  /** Appends the pseudonym of the user name in b[s, e) to out. */
  writeUser(b: Buffer, s: number, e: number, out: OutBuffer): void {
    const p = this.userCache.find(b, s, e);
    if (p >= 0) {
      // A value that was already a pseudonym maps to itself and is not counted as replaced.
      if (!this.userCache.isIdentity(p)) this.counts.users++;
      this.userCache.writeValue(p, out);
      return;
    }
    const v = this.user(b.toString('latin1', s, e));
    this.userCache.set(b, s, e, v);
    out.text(v);
  }

  /** Appends the replacement of the IPv4 address written as b[s, e), whose value is n. */
  writeIpv4(b: Buffer, s: number, e: number, n: number, out: OutBuffer): void {
    const keep = this.v4WholeOctets;
    if (keep < 0) {
      out.text(this.ipv4(n));
      return;
    }
    // Truncation to whole octets (the default /24): the kept octets are copied as written and the rest
    // become 0, so no string is made.
    this.counts.ipv4++;
    let k = s;
    if (keep === 4) k = e;
    else if (keep > 0) {
      let dots = 0;
      while (k < e && !(b[k] === 0x2e && ++dots === keep)) k++;
    }
    out.copy(b, s, k);
    out.text(ZERO_OCTETS[4 - keep]!);
  }

  /** Appends the registrable domain of the client host name b[s, e) (see `host`). */
  writeHost(b: Buffer, s: number, e: number, out: OutBuffer): void {
    let last = e - 1;
    while (last > s && b[last] !== 0x2e) last--;
    let prev = last - 1;
    while (prev > s && b[prev] !== 0x2e) prev--;
    if (last > s && prev > s) {
      // Three labels or more: when the last two form a registrable domain, that is the answer.
      const p = this.hostTails.find(b, prev + 1, e);
      if (p >= 0 && this.hostTails.valueLength(p) > 0) {
        this.counts.hosts++;
        this.hostTails.writeValue(p, out);
        return;
      }
      if (p < 0) {
        const tail = b.toString('latin1', prev + 1, e).toLowerCase();
        this.hostTails.set(b, prev + 1, e, getDomain(tail) === tail ? tail : '');
      }
    }
    out.text(this.host(b.toString('latin1', s, e)));
  }

  /** Pseudonym of a user name (SASL, IMAP/POP login, local recipient). */
  user(name: string): string {
    if (this.isPseudonym(name, name.length)) return name;
    this.counts.users++;
    return this.pseudonym(name);
  }

  /** A client host name reduced to its registrable domain; names without one become `unknown`. */
  host(name: string): string {
    this.counts.hosts++;
    const lower = name.toLowerCase();
    if (lower === 'unknown' || lower === 'localhost') return name;
    // Client names are mostly unique (dsl-192-0-2-1.isp.example), so the cache is keyed by the last two
    // labels: when those already form a registrable domain, the answer needs no suffix-list walk.
    const last = lower.lastIndexOf('.');
    const prev = last > 0 ? lower.lastIndexOf('.', last - 1) : -1;
    const tail = prev >= 0 ? lower.slice(prev + 1) : lower;
    let t = this.hostCache.get(tail);
    if (t === undefined) {
      t = getDomain(tail) === tail ? tail : '';
      this.hostCache.set(tail, t);
    }
    if (t !== '' && prev >= 0) return t;
    return getDomain(lower) ?? 'unknown';
  }

  /** isPseudonym for the bytes b[s, e). */
  private isPseudonymAt(b: Buffer, s: number, e: number): boolean {
    const p = this.policy.pseudonymPrefix;
    if (e - s !== p.length + this.policy.pseudonymHexDigits) return false;
    for (let i = 0; i < p.length; i++) if (b[s + i] !== p.charCodeAt(i)) return false;
    for (let i = s + p.length; i < e; i++) {
      const c = b[i]!;
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
    }
    return true;
  }

  private isPseudonym(s: string, end: number): boolean {
    const p = this.policy.pseudonymPrefix;
    if (end !== p.length + this.policy.pseudonymHexDigits || !s.startsWith(p)) return false;
    for (let i = p.length; i < end; i++) {
      const c = s.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
    }
    return true;
  }

  private pseudonym(value: string): string {
    let s = this.pseudo.get(value);
    if (s === undefined) {
      s = this.mac(value);
      this.pseudo.set(value, s);
    }
    return s;
  }

  /**
   * HMAC-SHA256 of value, in hex, cut to the policy's length. Message-IDs are unique, so this runs once
   * per message: HMAC is computed from its definition (RFC 2104) over pads prepared once, with two
   * one-shot hashes, which costs a fifth less than a createHmac object per value. Same result.
   */
  private mac(value: string): string {
    let hex: string;
    if (value.length <= MAC_MAX_MESSAGE && this.keys.pseudonym.length <= MAC_BLOCK) {
      hex = this.macOfInner(this.macInner.write(value, MAC_BLOCK, 'latin1'));
    } else hex = createHmac('sha256', this.keys.pseudonym).update(value, 'latin1').digest('hex');
    return this.policy.pseudonymPrefix + hex.slice(0, this.policy.pseudonymHexDigits);
  }

  /**
   * HMAC-SHA256 (hex) of the n message bytes already placed after the inner pad. The digests come back
   * as strings: on Node 20 a one-shot hash costs three times as much when it returns a Buffer.
   */
  private macOfInner(n: number): string {
    const input = (this.macInputs[n] ??= this.macInner.subarray(0, MAC_BLOCK + n));
    const inner = hash('sha256', input, 'binary'); // 'binary' is latin1: one char per byte
    const outer = this.macOuter;
    for (let k = 0; k < 32; k++) outer[MAC_BLOCK + k] = inner.charCodeAt(k);
    return hash('sha256', outer, 'hex');
  }
}

const MAC_BLOCK = 64;
const MAC_MAX_MESSAGE = 1024;
const ZERO_OCTETS = ['', '.0', '.0.0', '.0.0.0', '0.0.0.0'];

function dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
