import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { readSecretFile } from '../../core/option-files.js';

/** Secrets the anonymiser works with, all derived from one key file. */
export interface AnonymizerKeys {
  /** 32 bytes for Crypto-PAn; the key file itself when it holds exactly 32 raw bytes, so other tools agree. */
  cryptoPan: Buffer;
  /** HMAC-SHA256 key for address and user-name pseudonyms. */
  pseudonym: Buffer;
}

/** Key material is at least this long: 256 bits, the HMAC-SHA256 block security level. */
export const KEY_MIN_BYTES = 32;

/** Derives the anonymiser's keys from a master secret (raw bytes, or 64+ hex digits as text). */
export function deriveKeys(secret: Buffer): AnonymizerKeys {
  const text = secret.toString('latin1').trim();
  const raw = /^[0-9a-fA-F]{64,}$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : secret;
  if (raw.length < KEY_MIN_BYTES) throw new UsageError(`key must hold at least ${KEY_MIN_BYTES} bytes`);
  const label = (s: string): Buffer => createHmac('sha256', raw).update(s).digest();
  return {
    cryptoPan: raw.length === 32 ? Buffer.from(raw) : label('mailcomply crypto-pan v1'),
    pseudonym: label('mailcomply pseudonym v1'),
  };
}

/** Reads a key file; refuses one that others can read, as it unlocks every pseudonym made with it. */
export function readKeyFile(path: string): AnonymizerKeys {
  return deriveKeys(readSecretFile('--key-file', path));
}

/** A fresh secret for `logs keygen`: 64 hex digits and a newline. */
export function newKeyText(): string {
  return `${randomBytes(32).toString('hex')}\n`;
}

/** Writes a new key file with mode 0600; never overwrites one (that would orphan every pseudonym made with it). */
export function writeKeyFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--out ${path}: ${code === 'EEXIST' ? 'exists; refusing to replace a key' : (code ?? 'cannot write')}`,
    );
  }
  try {
    writeSync(fd, newKeyText());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
