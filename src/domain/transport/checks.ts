import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import { accessFindings } from '../../smtp/access/findings.js';
import { smtpFindings } from '../../smtp/findings.js';
import type { SmtpProbeResult } from '../../smtp/types.js';
import { checkDane } from '../dane/check.js';
import { checkMtaStsPolicy } from '../mta-sts/check.js';
import { lookupMx, type MxHost } from '../mx.js';
import type { DomainCheck, DomainContext, TransportSeams } from '../types.js';

/** The MX hosts to probe: real host names (not IP literals), capped at `maxMx`. */
async function probedHosts(ctx: DomainContext, t: TransportSeams): Promise<MxHost[]> {
  const mx = await lookupMx(ctx);
  return mx.hosts.filter((h) => !h.ipLiteral).slice(0, t.maxMx);
}

function probesOf(ctx: DomainContext, t: TransportSeams, host: MxHost): Promise<SmtpProbeResult[]> {
  return Promise.all(host.addresses.map((a) => t.probes.probe(host.exchange, a, ctx.signal)));
}

/** `smtp.*`: STARTTLS, TLS versions and ciphers, certificates, banner and VRFY on every MX address. */
export const smtpCheck: DomainCheck = async (ctx) => {
  const t = ctx.transport;
  if (!t) return [];
  const mx = await lookupMx(ctx);
  if (mx.hasNullMx && mx.hosts.length === 0) {
    return [
      finding({
        id: 'smtp.connect',
        status: 'info',
        title: 'No SMTP servers to probe: the domain accepts no mail (null MX)',
        detail: `${ctx.domain} publishes a null MX, so there is no inbound mail server whose encryption could be checked.`,
        evidence: null,
        controls: ['transport.starttls'],
      }),
    ];
  }
  const hosts = await probedHosts(ctx, t);
  const out: Finding[] = [];
  for (const host of hosts) {
    const results = await probesOf(ctx, t, host);
    out.push(
      ...smtpFindings({ host: host.exchange, addresses: host.addresses }, results, { clock: ctx.clock }),
    );
  }
  if (mx.hosts.length > hosts.length) {
    out.push(
      finding({
        id: 'smtp.coverage',
        status: 'info',
        title: `Only the first ${hosts.length} MX hosts were probed`,
        detail: `${mx.hosts.length} MX hosts are published; probing stops at ${t.maxMx} (--max-mx) so large lists do not slow the scan.`,
        evidence: { probed: hosts.map((h) => h.exchange), published: mx.hosts.length },
        controls: ['transport.starttls'],
      }),
    );
  }
  return out;
};

/** `dane.*`: TLSA at `_25._tcp.<mx>` checked against the chain each MX really serves. */
export const daneCheck: DomainCheck = async (ctx) => {
  const t = ctx.transport;
  if (!t) return [];
  const hosts = await probedHosts(ctx, t);
  const out: Finding[] = [];
  for (const host of hosts) {
    const results = await probesOf(ctx, t, host);
    const chain = results.find((r) => r.tls?.chain.length)?.tls?.chain;
    // DANE needs the MX host's own zone signed: its address answers tell.
    const zoneSigned = Boolean((host.a?.ok && host.a.result.ad) || (host.aaaa?.ok && host.aaaa.result.ad));
    out.push(
      ...(await checkDane(host.exchange, {
        resolver: ctx.resolver,
        signal: ctx.signal,
        zoneSigned,
        now: ctx.clock(),
        ...(chain ? { chain } : {}),
      })),
    );
  }
  return out;
};

/** `mta-sts.policy.*`: the policy served at https://mta-sts.<domain>/.well-known/mta-sts.txt. */
export const mtaStsPolicyCheck: DomainCheck = async (ctx) => {
  const t = ctx.transport;
  if (!t) return [];
  const mx = await lookupMx(ctx);
  if (mx.hasNullMx && mx.hosts.length === 0) return [];
  return checkMtaStsPolicy(ctx.domain, {
    resolver: ctx.resolver,
    dialer: t.dialer,
    signal: ctx.signal,
    mxHosts: mx.hosts.map((h) => h.exchange),
    ...(t.ca ? { ca: t.ca } : {}),
  });
};

/** `submission.*`: submission (465/587) and mailbox access (993/143/995/110) on the MX hosts and `--host`s. */
export const accessCheck: DomainCheck = async (ctx) => {
  const t = ctx.transport;
  if (!t || t.accessPorts.length === 0) return [];
  const targets = (await probedHosts(ctx, t)).map((h) => ({ host: h.exchange, addresses: h.addresses }));
  for (const host of t.accessHosts) targets.push({ host, addresses: await addressesOf(ctx, host) });
  const out: Finding[] = [];
  for (const target of targets) {
    const results = await t.probes.probeAccess(target.host, target.addresses, t.accessPorts, ctx.signal);
    out.push(...accessFindings(target.host, results, { clock: ctx.clock }));
  }
  return out;
};

async function addressesOf(ctx: DomainContext, host: string): Promise<string[]> {
  const ask = async (type: 'A' | 'AAAA') => {
    try {
      return (await ctx.resolver.query(host, type, { signal: ctx.signal })).answers.map((r) => r.data);
    } catch {
      return [];
    }
  };
  return [...(await ask('A')), ...(await ask('AAAA'))];
}
