/**
 * MX posture: does mail for the domain have somewhere valid to go (RFC 5321 §5.1, RFC 7505)?
 */
import ipaddr from 'ipaddr.js';
import type { Finding } from '../core/finding.js';
import { MX_MAX_HOSTS_RESOLVED } from '../core/limits.js';
import { finding, type FindingInput } from '../core/make-finding.js';
import type { DomainCheck, DomainContext } from './types.js';
import { absolute, dnsLookup, lookupEvidence, type LookupOutcome } from './tag-list.js';

const CONTROLS = ['availability.mail-routing'];

function mk(id: string, input: Omit<FindingInput, 'id' | 'controls'>): Finding {
  return finding({ id, controls: CONTROLS, ...input });
}

/** One MX target with what its address lookups returned. */
export interface MxHost {
  /** Lower case, no trailing dot. */
  exchange: string;
  preference: number;
  /** The target is an address literal, which RFC 5321 does not allow in MX. */
  ipLiteral: boolean;
  /** Absent when the target was not looked up (an IP literal, or past the host limit). */
  a?: LookupOutcome<'A'>;
  aaaa?: LookupOutcome<'AAAA'>;
  /** Every A and AAAA address found. */
  addresses: string[];
  /** CNAME owner names followed on the way to the addresses: a non-empty list means the target is an alias. */
  cnames: string[];
}

/** The domain's MX answer and its hosts, sorted by preference then name. */
export interface MxLookup {
  domain: string;
  mx: LookupOutcome<'MX'>;
  /** The answer holds a `.` target (RFC 7505 null MX), possibly among others. */
  hasNullMx: boolean;
  /** Real targets (null MX excluded), each looked up for A and AAAA. */
  hosts: MxHost[];
  /** Targets beyond MX_MAX_HOSTS_RESOLVED that were not looked up. */
  skipped: number;
}

function isNullTarget(exchange: string): boolean {
  return exchange === '' || exchange === '.';
}

/** True for `192.0.2.1`, `[192.0.2.1]`, `2001:db8::1` and `[IPv6:2001:db8::1]`. */
export function isIpLiteral(target: string): boolean {
  const t = target.replace(/^\[(?:ipv6:)?/i, '').replace(/\]$/, '');
  return ipaddr.IPv4.isValidFourPartDecimal(t) || (t.includes(':') && ipaddr.IPv6.isValid(t));
}

function bareHost(exchange: string): Omit<MxHost, 'preference'> {
  return { exchange, ipLiteral: isIpLiteral(exchange), addresses: [], cnames: [] };
}

async function resolveHost(ctx: DomainContext, exchange: string): Promise<Omit<MxHost, 'preference'>> {
  const host = bareHost(exchange);
  if (host.ipLiteral) return host;
  const [a, aaaa] = await Promise.all([dnsLookup(ctx, exchange, 'A'), dnsLookup(ctx, exchange, 'AAAA')]);
  host.a = a;
  host.aaaa = aaaa;
  for (const o of [a, aaaa]) {
    if (!o.ok) continue;
    for (const r of o.result.answers) host.addresses.push(r.data);
    for (const c of o.result.cnames) if (!host.cnames.includes(c.name)) host.cnames.push(c.name);
  }
  return host;
}

const cache = new WeakMap<DomainContext, Promise<MxLookup>>();

/** MX hosts of `ctx.domain`, sorted by preference, with their addresses; shared by the MX, DNSSEC and SMTP checks. */
export function lookupMx(ctx: DomainContext): Promise<MxLookup> {
  let p = cache.get(ctx);
  if (!p) {
    p = doLookupMx(ctx);
    cache.set(ctx, p);
  }
  return p;
}

async function doLookupMx(ctx: DomainContext): Promise<MxLookup> {
  const mx = await dnsLookup(ctx, ctx.domain, 'MX');
  const out: MxLookup = { domain: ctx.domain, mx, hasNullMx: false, hosts: [], skipped: 0 };
  if (!mx.ok) return out;
  const targets = mx.result.answers
    .map((r) => ({
      exchange: r.data.exchange.replace(/\.+$/, '').toLowerCase(),
      preference: r.data.preference,
    }))
    .sort((x, y) => x.preference - y.preference || x.exchange.localeCompare(y.exchange));
  out.hasNullMx = targets.some((t) => isNullTarget(t.exchange));
  const real = targets.filter((t) => !isNullTarget(t.exchange));
  // Duplicate targets are looked up once; the resolver cache would absorb them, but the host limit should not.
  const unique = [...new Set(real.map((t) => t.exchange))];
  const resolved = new Map(unique.slice(0, MX_MAX_HOSTS_RESOLVED).map((n) => [n, resolveHost(ctx, n)]));
  out.skipped = Math.max(0, unique.length - MX_MAX_HOSTS_RESOLVED);
  for (const t of real) {
    const base = (await resolved.get(t.exchange)) ?? bareHost(t.exchange);
    out.hosts.push({ ...base, preference: t.preference });
  }
  return out;
}

function hostEvidence(h: MxHost): Record<string, unknown> {
  const ev: Record<string, unknown> = {
    exchange: absolute(h.exchange),
    preference: h.preference,
    addresses: h.addresses,
  };
  if (h.ipLiteral) ev.ipLiteral = true;
  if (h.cnames.length > 0) ev.cnames = h.cnames;
  if (h.a) ev.a = lookupEvidence(h.a);
  if (h.aaaa) ev.aaaa = lookupEvidence(h.aaaa);
  return ev;
}

function mxRemediation(domain: string): string {
  return [
    `${absolute(domain)} 3600 IN MX 10 mail.${absolute(domain)}`,
    `; or, if the domain never receives mail (RFC 7505):`,
    `${absolute(domain)} 3600 IN MX 0 .`,
  ].join('\n');
}

/** MX checks: presence, null MX, target validity, address resolution, priorities. */
export const mxCheck: DomainCheck = async (ctx) => {
  const lk = await lookupMx(ctx);
  const { domain, mx } = lk;
  const mxEv = lookupEvidence(mx);
  if (!mx.ok) {
    return [
      mk('mx.present', {
        status: 'error',
        severity: 'medium',
        title: 'MX records could not be looked up',
        detail: `The MX query for ${domain} could not be completed (${mx.reason}), so mail routing was not assessed.`,
        evidence: { mx: mxEv },
      }),
    ];
  }
  if (mx.result.rcode === 'NXDOMAIN') {
    return [
      mk('mx.present', {
        status: 'fail',
        severity: 'high',
        title: 'The domain does not exist in DNS',
        detail: `${domain} returned NXDOMAIN: no mail can be delivered to it, and anyone who registers it could receive mail meant for the organisation.`,
        evidence: { mx: mxEv },
        remediation: `Register or delegate ${domain}, then publish:\n${mxRemediation(domain)}`,
      }),
    ];
  }
  if (mx.result.answers.length === 0) return [await implicitMx(ctx, mxEv)];

  const out: Finding[] = [
    mk('mx.present', {
      status: 'pass',
      title: 'The domain publishes MX records',
      detail: `${domain} has ${mx.result.answers.length} MX record(s).`,
      evidence: { mx: mxEv },
    }),
  ];
  if (lk.hasNullMx) {
    const nullMx = nullMxFinding(lk, mxEv);
    out.push(nullMx);
    if (lk.hosts.length === 0) return out;
  }
  out.push(targetFinding(lk), resolvesFinding(lk), prioritiesFinding(lk, mxEv));
  return out;
};

async function implicitMx(ctx: DomainContext, mxEv: unknown): Promise<Finding> {
  const [a, aaaa] = await Promise.all([dnsLookup(ctx, ctx.domain, 'A'), dnsLookup(ctx, ctx.domain, 'AAAA')]);
  const addresses = [a, aaaa].flatMap((o) => (o.ok ? o.result.answers.map((r) => String(r.data)) : []));
  const unknown = [a, aaaa].some((o) => !o.ok);
  const fallback =
    addresses.length > 0
      ? `Senders fall back to the domain's own address records (RFC 5321 §5.1 implicit MX): ${addresses.join(', ')}, so mail goes to whatever host serves the web site.`
      : unknown
        ? 'Senders fall back to the domain\u2019s own A/AAAA records (RFC 5321 §5.1 implicit MX), which could not be looked up.'
        : 'The domain has no A/AAAA records either, so senders have nowhere to deliver: mail to it bounces only after retrying for days.';
  return mk('mx.present', {
    status: 'warn',
    severity: 'medium',
    title: 'The domain publishes no MX record',
    detail: `${ctx.domain} has no MX record. ${fallback} Publish MX records, or a null MX if the domain receives no mail.`,
    evidence: { mx: mxEv, a: lookupEvidence(a), aaaa: lookupEvidence(aaaa) },
    remediation: mxRemediation(ctx.domain),
  });
}

function nullMxFinding(lk: MxLookup, mxEv: unknown): Finding {
  const answers = lk.mx.ok ? lk.mx.result.answers : [];
  const nulls = answers.filter((r) => isNullTarget(r.data.exchange));
  const badPref = nulls.some((r) => r.data.preference !== 0);
  if (lk.hosts.length > 0 || nulls.length > 1) {
    return mk('mx.null', {
      status: 'fail',
      severity: 'high',
      title: 'A null MX is mixed with other MX records',
      detail:
        'RFC 7505 forbids publishing any other MX record next to a null MX ("0 ."). Senders disagree on what this means: some bounce all mail, others deliver to the remaining hosts.',
      evidence: { mx: mxEv },
      remediation: `Remove the "MX 0 ." record if the domain receives mail, or keep only:\n${absolute(lk.domain)} 3600 IN MX 0 .`,
    });
  }
  if (badPref) {
    return mk('mx.null', {
      status: 'fail',
      severity: 'low',
      title: 'The null MX record has a non-zero preference',
      detail:
        'RFC 7505 defines the null MX as preference 0 with target "."; other preferences are not recognised by every sender.',
      evidence: { mx: mxEv },
      remediation: `${absolute(lk.domain)} 3600 IN MX 0 .`,
    });
  }
  return mk('mx.null', {
    status: 'info',
    title: 'The domain accepts no mail (null MX)',
    detail: `${lk.domain} publishes the RFC 7505 null MX "0 .": senders reject mail to it immediately instead of retrying. This is correct for domains that never receive mail.`,
    evidence: { mx: mxEv },
  });
}

function targetFinding(lk: MxLookup): Finding {
  const literals = lk.hosts.filter((h) => h.ipLiteral).map((h) => h.exchange);
  const aliases = lk.hosts.filter((h) => !h.ipLiteral && h.cnames.length > 0).map((h) => h.exchange);
  const evidence = { hosts: lk.hosts.map(hostEvidence) };
  if (literals.length === 0 && aliases.length === 0) {
    return mk('mx.target', {
      status: 'pass',
      title: 'MX targets are host names',
      detail: 'Every MX target is a host name with its own address records (no IP literal, no CNAME alias).',
      evidence,
    });
  }
  const problems: string[] = [];
  if (literals.length > 0) {
    problems.push(
      `${literals.join(', ')}: an IP address is not a valid MX target (RFC 5321 §5.1 wants a host name); senders look it up as a name and fail`,
    );
  }
  if (aliases.length > 0) {
    problems.push(
      `${aliases.join(', ')}: the target is a CNAME alias, which RFC 2181 §10.3 and RFC 5321 §5.1 forbid; some senders refuse it, and it breaks DANE and MTA-STS matching`,
    );
  }
  const fix = lk.hosts
    .filter((h) => h.ipLiteral || h.cnames.length > 0)
    .map((h) =>
      h.ipLiteral
        ? `${absolute(lk.domain)} 3600 IN MX ${h.preference} mx${h.preference}.${absolute(lk.domain)}\nmx${h.preference}.${absolute(lk.domain)} 3600 IN ${h.exchange.includes(':') ? 'AAAA' : 'A'} ${h.exchange.replace(/^\[(?:ipv6:)?/i, '').replace(/\]$/, '')}`
        : `; replace ${absolute(h.exchange)} by the canonical name it points to:\n${absolute(lk.domain)} 3600 IN MX ${h.preference} ${canonicalOf(h)}`,
    )
    .join('\n');
  return mk('mx.target', {
    status: 'fail',
    severity: 'medium',
    title: 'Some MX targets are not plain host names',
    detail: `${problems.join('. ')}.`,
    evidence,
    remediation: fix,
  });
}

function canonicalOf(h: MxHost): string {
  for (const o of [h.a, h.aaaa]) {
    if (o?.ok && o.result.answers[0]) return absolute(o.result.answers[0].name);
  }
  for (const o of [h.a, h.aaaa]) {
    const last = o?.ok ? o.result.cnames[o.result.cnames.length - 1] : undefined;
    if (last) return absolute(last.data);
  }
  return '<canonical host name>.';
}

type Resolution = 'ok' | 'nxdomain' | 'no-address' | 'ip-literal' | 'error' | 'not-checked';

function resolution(h: MxHost): Resolution {
  if (h.ipLiteral) return 'ip-literal';
  if (!h.a || !h.aaaa) return 'not-checked';
  if (h.addresses.length > 0) return 'ok';
  if (!h.a.ok || !h.aaaa.ok) return 'error';
  if (h.a.result.rcode === 'NXDOMAIN') return 'nxdomain';
  return 'no-address';
}

function resolvesFinding(lk: MxLookup): Finding {
  const unique = new Map(lk.hosts.map((h) => [h.exchange, h]));
  const by = new Map<Resolution, string[]>();
  for (const h of unique.values()) {
    const r = resolution(h);
    by.set(r, [...(by.get(r) ?? []), h.exchange]);
  }
  const bad = [
    ...(by.get('nxdomain') ?? []),
    ...(by.get('no-address') ?? []),
    ...(by.get('ip-literal') ?? []),
  ];
  const errors = by.get('error') ?? [];
  const notChecked = by.get('not-checked') ?? [];
  const evidence = {
    hosts: [...unique.values()].map((h) => ({ ...hostEvidence(h), resolution: resolution(h) })),
  };
  const notes: string[] = [];
  if (errors.length > 0) notes.push(`lookups failed for ${errors.join(', ')}`);
  if (notChecked.length > 0)
    notes.push(`${notChecked.length} host(s) beyond the first ${MX_MAX_HOSTS_RESOLVED} were not looked up`);
  const tail = notes.length > 0 ? ` Not assessed: ${notes.join('; ')}.` : '';
  if (bad.length > 0) {
    const parts: string[] = [];
    const group = (r: Resolution, what: string): void => {
      const hosts = by.get(r);
      if (hosts) parts.push(`${what}: ${hosts.join(', ')}`);
    };
    group('nxdomain', 'host name does not exist (NXDOMAIN)');
    group('no-address', 'no A or AAAA record');
    group('ip-literal', 'IP literal instead of a host name');
    const all = bad.length === unique.size;
    return mk('mx.resolves', {
      status: 'fail',
      severity: all ? 'high' : 'medium',
      title: all ? 'No MX host has an address: mail cannot be delivered' : 'Some MX hosts have no address',
      detail: `${parts.join('; ')}. Senders skip such hosts${all ? ', so every message bounces' : ' and lose redundancy'}.${by.has('nxdomain') ? ' If a missing name lies in a domain that lapses, whoever registers it receives the mail.' : ''}${tail}`,
      evidence,
      remediation: bad
        .map((h) =>
          isIpLiteral(h)
            ? `; ${h}: publish a host name instead (see mx.target)`
            : `${absolute(h)} 3600 IN A <address of the mail server>\n; or remove the MX record pointing to ${absolute(h)}`,
        )
        .join('\n'),
    });
  }
  if (errors.length > 0) {
    return mk('mx.resolves', {
      status: 'error',
      severity: 'medium',
      title: 'MX host addresses could not all be looked up',
      detail: `The address lookups of some MX hosts could not be completed.${tail}`,
      evidence,
    });
  }
  return mk('mx.resolves', {
    status: 'pass',
    title: 'Every MX host has an address',
    detail: `Each MX host has at least one A or AAAA record.${tail}`,
    evidence,
  });
}

function prioritiesFinding(lk: MxLookup, mxEv: unknown): Finding {
  const counts = new Map<string, number>();
  for (const h of lk.hosts) counts.set(h.exchange, (counts.get(h.exchange) ?? 0) + 1);
  const dups = [...counts].filter(([, n]) => n > 1).map(([h]) => h);
  const prefs = [...new Set(lk.hosts.map((h) => h.preference))].sort((a, b) => a - b);
  const primary = lk.hosts.filter((h) => h.preference === prefs[0]).map((h) => h.exchange);
  const backups = lk.hosts
    .filter((h) => h.preference !== prefs[0])
    .map((h) => `${h.exchange} (${h.preference})`);
  const evidence = { mx: mxEv, primary, backups };
  if (dups.length > 0) {
    return mk('mx.priorities', {
      status: 'warn',
      severity: 'low',
      title: 'The same MX target is listed more than once',
      detail: `Listed in more than one MX record: ${dups.join(', ')}. The duplicates add no redundancy and hide which preference is meant.`,
      evidence,
      remediation: dups
        .map(
          (d) =>
            `; keep a single record for ${absolute(d)}, e.g.\n${absolute(lk.domain)} 3600 IN MX 10 ${absolute(d)}`,
        )
        .join('\n'),
    });
  }
  if (backups.length > 0) {
    return mk('mx.priorities', {
      status: 'info',
      title: 'The domain has backup MX hosts',
      detail: `Primary: ${primary.join(', ')}; backup: ${backups.join(', ')}. Backup MX hosts receive the same personal data and are often less protected (spam filtering, TLS, retention): hold them to the same standard and include them in the record of processing.`,
      evidence,
    });
  }
  return mk('mx.priorities', {
    status: 'pass',
    title: 'MX priorities are consistent',
    detail:
      primary.length > 1
        ? `All ${primary.length} MX hosts share preference ${prefs[0]}; senders spread mail across them.`
        : 'A single MX host is published.',
    evidence,
  });
}

/** True when the domain publishes only a null MX: inbound-transport records do not apply to it. */
export async function acceptsNoMail(ctx: DomainContext): Promise<boolean> {
  const mx = await lookupMx(ctx);
  return mx.hasNullMx && mx.hosts.length === 0;
}
