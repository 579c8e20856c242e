/** TLS protocol names Postfix accepts in `*_tls_protocols`, oldest first. */
export const TLS_PROTOCOLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number];

function index(name: string): number {
  return TLS_PROTOCOLS.findIndex((p) => p.toLowerCase() === name.toLowerCase());
}

/**
 * The protocols a Postfix protocol list allows: `>=TLSv1.2`, `<=TLSv1.3`, `!SSLv3, !TLSv1` exclusions
 * or a plain inclusion list. An empty list leaves it to OpenSSL, whose Debian builds lack SSLv2/3.
 */
export function allowedProtocols(value: string): TlsProtocol[] {
  let lo = value.trim() === '' ? index('TLSv1') : 0;
  let hi = TLS_PROTOCOLS.length - 1;
  const include = new Set<number>();
  const exclude = new Set<number>();
  for (const tok of value.split(/[\s,:]+/).filter(Boolean)) {
    const m = /^(>=|<=|!)?(.+)$/.exec(tok);
    if (!m) continue;
    const k = index(m[2] as string);
    if (k < 0) continue;
    if (m[1] === '>=') lo = Math.max(lo, k);
    else if (m[1] === '<=') hi = Math.min(hi, k);
    else if (m[1] === '!') exclude.add(k);
    else include.add(k);
  }
  return TLS_PROTOCOLS.filter(
    (_, k) => k >= lo && k <= hi && !exclude.has(k) && (include.size === 0 || include.has(k)),
  );
}

/** Verdict on a protocol list: SSL allowed, legacy TLS (1.0/1.1) allowed, or only TLS 1.2+. */
export function protocolRisk(value: string): 'ssl' | 'legacy-tls' | 'modern' {
  const p = allowedProtocols(value);
  if (p.includes('SSLv2') || p.includes('SSLv3')) return 'ssl';
  if (p.includes('TLSv1') || p.includes('TLSv1.1')) return 'legacy-tls';
  return 'modern';
}
