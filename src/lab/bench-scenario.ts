/**
 * A generated lab scenario for benchmarks: `count` domains cycling through realistic profiles
 * (well configured and signed, relaxed, using a hosted provider, null MX, bare), plus the shared
 * provider zone they include. Returned as scenario YAML so it can be served by `mailcomply lab`.
 */
export function generateBenchScenarioYaml(count: number, o: { full?: boolean } = {}): string {
  if (o.full) return generateFullScenarioYaml(count);
  const out: string[] = ['description: generated benchmark scenario', 'zones:'];
  out.push(
    '  - name: provider.example',
    '    scan: false',
    '    records: |',
    '      _spf TXT "v=spf1 ip4:198.51.100.0/24 include:_spf2.provider.example ~all"',
    '      _spf2 TXT "v=spf1 ip4:198.51.101.0/24 ~all"',
    '      mx1 A 127.0.0.30',
    '      mx2 A 127.0.0.31',
  );
  for (let i = 0; i < count; i++) {
    const name = `d${String(i).padStart(5, '0')}.bench.example`;
    out.push(`  - name: ${name}`, `    signed: ${i % 5 === 0}`, '    records: |', ...profile(i % 5, i));
  }
  return out.join('\n') + '\n';
}

function profile(kind: number, i: number): string[] {
  const r = (line: string) => `      ${line}`;
  const host = `127.0.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
  switch (kind) {
    case 0: // well configured, signed
      return [
        r('@ MX 10 mx1'),
        r('@ MX 20 mx2'),
        r(`mx1 A ${host}`),
        r(`mx2 A ${host}`),
        r('@ TXT "v=spf1 mx ip4:192.0.2.10 -all"'),
        r(`_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@d${i}.bench.example"`),
        r('selector1._domainkey TXT "v=DKIM1; k=ed25519; p=qinvEuxu87pSq0qBPwgbOrkJH6m5aXdYuknQWAxio1o="'),
        r(`_mta-sts TXT "v=STSv1; id=${i}"`),
        r('_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@bench.example"'),
      ];
    case 1: // hosted provider
      return [
        r('@ MX 10 mx1.provider.example.'),
        r('@ MX 20 mx2.provider.example.'),
        r('@ TXT "v=spf1 include:_spf.provider.example -all"'),
        r('_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@provider.example"'),
      ];
    case 2: // relaxed
      return [
        r('@ MX 10 mail'),
        r(`mail A ${host}`),
        r('@ TXT "v=spf1 a mx ~all"'),
        r('_dmarc TXT "v=DMARC1; p=none"'),
      ];
    case 3: // null MX
      return [r('@ MX 0 .'), r('@ TXT "v=spf1 -all"'), r('_dmarc TXT "v=DMARC1; p=reject"')];
    default: // bare web-only domain
      return [r(`@ A ${host}`)];
  }
}

/** Shared MX hosts in the full scenario: as in the wild, many domains use the same few servers. */
export const BENCH_SHARED_MX_HOSTS = 50;

/**
 * The full-scan scenario: every domain has 2 MX among 50 shared, DNSSEC-signed MX hosts with lab
 * SMTP servers and DANE records, and its own MTA-STS policy site.
 */
function generateFullScenarioYaml(count: number): string {
  const mx = (i: number) => `mx${String(i).padStart(2, '0')}`;
  const out: string[] = ['description: generated full-scan benchmark scenario', 'zones:'];
  out.push('  - name: mxhosts.bench.example', '    signed: true', '    scan: false', '    records: |');
  for (let i = 0; i < BENCH_SHARED_MX_HOSTS; i++) out.push(`      ${mx(i)} A 127.0.2.${i + 1}`);
  out.push('    smtp:');
  for (let i = 0; i < BENCH_SHARED_MX_HOSTS; i++) out.push(`      ${mx(i)}: { profile: valid, tlsa: match }`);
  for (let i = 0; i < count; i++) {
    const a = i % BENCH_SHARED_MX_HOSTS;
    const b = (i + 1) % BENCH_SHARED_MX_HOSTS;
    const name = `d${String(i).padStart(5, '0')}.bench.example`;
    out.push(
      `  - name: ${name}`,
      `    signed: true`,
      '    records: |',
      `      @ MX 10 ${mx(a)}.mxhosts.bench.example.`,
      `      @ MX 20 ${mx(b)}.mxhosts.bench.example.`,
      '      @ TXT "v=spf1 mx -all"',
      `      _dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@${name}"`,
      `      _mta-sts TXT "v=STSv1; id=${i}"`,
      `      mta-sts A 127.0.3.${(i % 250) + 1}`,
      '      _smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@bench.example"',
      '    mtaSts:',
      '      behaviour: policy',
      `      policy: "version: STSv1\\r\\nmode: enforce\\r\\nmx: *.mxhosts.bench.example\\r\\nmax_age: 604800\\r\\n"`,
    );
  }
  return out.join('\n') + '\n';
}
