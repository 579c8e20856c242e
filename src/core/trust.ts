import { createHash } from 'node:crypto';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

const cache = new Map<string, SecureContext>();
const MAX_CACHED = 16;

/**
 * A client secure context trusting the system store plus `extraCa`, built once per trust set:
 * building one over ~140 roots costs milliseconds and megabytes, far more than a handshake.
 */
export function trustContext(extraCa: readonly string[] = []): SecureContext {
  const key = createHash('sha256').update(extraCa.join('\n')).digest('hex');
  let ctx = cache.get(key);
  if (!ctx) {
    ctx = createSecureContext({ ca: [...rootCertificates, ...extraCa] });
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, ctx);
  }
  return ctx;
}
