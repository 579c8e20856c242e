import { createCipheriv, type Cipher } from 'node:crypto';

/**
 * Crypto-PAn (Xu, Fan, Ammar, Moon 2002): prefix-preserving IP address anonymisation with AES-128.
 * Two addresses sharing a k-bit prefix map to two addresses sharing a k-bit prefix, so subnets stay
 * recognisable while no address is kept. The same 32-byte key gives the same mapping as the reference
 * implementation; IPv6 uses the same construction over 128 bits (as cryptopANT and Go cryptopan do).
 */
export class CryptoPan {
  private readonly cipher: Cipher;
  private readonly pad: Buffer;

  /** `key` is 32 bytes: the AES key, then the secret that seeds the padding block. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('Crypto-PAn needs a 32-byte key');
    this.cipher = createCipheriv('aes-128-ecb', key.subarray(0, 16), null).setAutoPadding(false);
    this.pad = this.cipher.update(key.subarray(16, 32));
  }

  /** Anonymises a 4-byte (IPv4) or 16-byte (IPv6) address in network order. */
  anonymize(addr: Uint8Array): Buffer {
    const n = addr.length;
    const bits = n * 8;
    // Bit i of the one-time pad depends only on the first i bits of the input, so all blocks are built
    // first and encrypted in one call (ECB): one native crossing instead of 32 or 128.
    const blocks = Buffer.allocUnsafe(bits * 16);
    for (let pos = 0; pos < bits; pos++) {
      const o = pos * 16;
      this.pad.copy(blocks, o);
      const full = pos >> 3;
      for (let b = 0; b < full; b++) blocks[o + b] = addr[b]!;
      const rem = pos & 7;
      if (rem) {
        const mask = (0xff << (8 - rem)) & 0xff;
        blocks[o + full] = (addr[full]! & mask) | (this.pad[full]! & ~mask & 0xff);
      }
    }
    const enc = this.cipher.update(blocks);
    const out = Buffer.alloc(n);
    for (let pos = 0; pos < bits; pos++) {
      if (enc[pos * 16]! & 0x80) out[pos >> 3]! |= 0x80 >> (pos & 7);
    }
    for (let b = 0; b < n; b++) out[b] = out[b]! ^ addr[b]!;
    return out;
  }
}
