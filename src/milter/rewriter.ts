import type { HeaderPolicy } from '../message/policy.js';
import { sanitizeHeaders } from '../message/sanitize.js';
import type { HeaderRewriter } from './session.js';

/** What the sanitiser needs besides the policy. */
export interface SanitizingOptions {
  /** HMAC key for `pseudonymise` rules (from --key-file). */
  key?: Buffer;
  /** Extra internal-address test (e.g. the organisation's own networks), on top of the policy's zones. */
  internal?: (ipOrHost: string) => boolean;
}

/**
 * The milter's rewriter: the header sanitiser (src/message) with the client address and SASL login
 * the MTA reported for this message's session.
 */
export function sanitizingRewriter(policy: HeaderPolicy, o: SanitizingOptions = {}): HeaderRewriter {
  return (fields, ctx) =>
    sanitizeHeaders(fields, policy, {
      clientAddress: ctx.clientAddress,
      authenticatedUser: ctx.authenticatedUser,
      internal: o.internal,
      key: o.key,
    }).headers;
}
