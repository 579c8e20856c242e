/** Every error code the project raises, in one registry so callers can switch on them. */
export const ERROR_CODES = {
  E_USAGE: 'invalid command-line usage',
  E_CONFIG: 'invalid configuration',
  E_INPUT: 'invalid input',
  E_DOMAIN_INVALID: 'invalid domain name',
  E_DNS_TIMEOUT: 'DNS query timed out',
  E_DNS_NETWORK: 'DNS network error',
  E_DNS_MALFORMED: 'malformed DNS response',
  E_DNS_ABORTED: 'DNS query aborted',
  E_NET_CONNECT: 'connection failed',
  E_SMTP: 'SMTP protocol error',
  E_TLS: 'TLS error',
  E_HTTP: 'HTTP fetch failed',
  E_LAB: 'lab failure',
  E_IO: 'file system error',
  E_INTERNAL: 'internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error the project throws on purpose. Messages never carry personal data. */
export class MailcomplyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class UsageError extends MailcomplyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
  }
}

export class InputError extends MailcomplyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INPUT', message, options);
  }
}

export class DnsError extends MailcomplyError {}

/** A short reason for an unexpected value, safe to put into a finding. */
export function describeError(err: unknown): string {
  if (err instanceof MailcomplyError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
