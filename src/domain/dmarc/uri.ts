/**
 * Reporting URIs of DMARC (RFC 7489 §6.4, with the `!size` suffix) and TLS-RPT (RFC 8460 §3).
 */
import { getDomain } from 'tldts';
import { DNS_MAX_LABEL_LENGTH, DNS_MAX_NAME_LENGTH } from '../../core/limits.js';

/** A size limit from a DMARC `!size` suffix. */
export interface UriSizeLimit {
  value: number;
  /** `''` means bytes. */
  unit: '' | 'k' | 'm' | 'g' | 't';
}

/** One reporting URI as published, and what it resolves to. */
export interface ReportUri {
  /** As published, size suffix included. */
  raw: string;
  /** Without the size suffix. */
  uri: string;
  /** Lower case, without the colon; empty when there is none. */
  scheme: string;
  /** For mailto: the recipient address (percent-decoded). */
  address?: string;
  /** For mailto: the recipient's domain; for https: the host. Lower case. */
  domain?: string;
  maxSize?: UriSizeLimit;
  /** Why the URI cannot be used; absent when it is well formed. */
  problem?: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** True for a syntactically valid host name with at least two labels (LDH rule, RFC 1123). */
export function isHostname(name: string): boolean {
  const n = name.replace(/\.$/, '').toLowerCase();
  if (n.length === 0 || n.length > DNS_MAX_NAME_LENGTH) return false;
  const labels = n.split('.');
  if (labels.length < 2) return false;
  return labels.every((l) => l.length <= DNS_MAX_LABEL_LENGTH && LABEL.test(l));
}

/** The registrable (organisational) domain of a name via the public suffix list, or the name itself. */
export function orgDomain(name: string): string {
  const n = name.replace(/\.$/, '').toLowerCase();
  try {
    return getDomain(n) ?? n;
  } catch {
    return n;
  }
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Splits a `mailto:` URI into its single recipient (RFC 6068), or says why it cannot be used. */
export function parseMailto(uri: string): { address: string; domain: string } | { problem: string } {
  if (!/^mailto:/i.test(uri)) return { problem: 'not a mailto: URI' };
  const rest = uri.slice('mailto:'.length).split('?')[0] ?? '';
  const address = decode(rest);
  if (address === undefined) return { problem: 'invalid percent-encoding' };
  if (address.includes(',')) return { problem: 'more than one recipient in one URI' };
  const at = address.lastIndexOf('@');
  if (at <= 0) return { problem: 'no recipient address' };
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  if (/[\s<>()[\]\\,;:"]/.test(local) && !/^".*"$/.test(local)) return { problem: 'invalid local part' };
  if (!isHostname(domain)) return { problem: 'invalid recipient domain' };
  return { address: `${local}@${domain}`, domain };
}

function parseHttps(uri: string): { domain: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { problem: 'invalid https: URI' };
  }
  if (url.protocol !== 'https:') return { problem: 'not an https: URI' };
  if (!isHostname(url.hostname)) return { problem: 'invalid host in https: URI' };
  return { domain: url.hostname.toLowerCase() };
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** Parses one reporting URI; `sizeSuffix` enables DMARC's `!size[kmgt]`. Never throws. */
export function parseReportUri(raw: string, sizeSuffix: boolean): ReportUri {
  const out: ReportUri = { raw, uri: raw, scheme: '' };
  if (sizeSuffix) {
    const m = /^(.*)!([0-9]+)([kmgtKMGT]?)$/s.exec(raw);
    if (m) {
      out.uri = m[1] ?? '';
      out.maxSize = { value: Number(m[2]), unit: (m[3] ?? '').toLowerCase() as UriSizeLimit['unit'] };
    } else if (raw.includes('!')) {
      out.problem = 'malformed size limit after "!"';
      return out;
    }
  }
  const scheme = SCHEME.exec(out.uri);
  if (!scheme) {
    out.problem = 'not a URI (no scheme)';
    return out;
  }
  out.scheme = (scheme[1] ?? '').toLowerCase();
  if (out.scheme === 'mailto') {
    const m = parseMailto(out.uri);
    if ('problem' in m) out.problem = m.problem;
    else {
      out.address = m.address;
      out.domain = m.domain;
    }
  } else if (out.scheme === 'https') {
    const h = parseHttps(out.uri);
    if ('problem' in h) out.problem = h.problem;
    else out.domain = h.domain;
  }
  return out;
}

/** Parses a comma-separated URI list (whitespace around commas allowed). Empty items are problems. */
export function parseReportUriList(value: string, sizeSuffix: boolean): ReportUri[] {
  return value.split(',').map((item) => {
    const raw = item.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (raw === '') return { raw, uri: raw, scheme: '', problem: 'empty URI' };
    return parseReportUri(raw, sizeSuffix);
  });
}
