/**
 * The MTA-STS cases of postfix-mta-sts-resolver (MIT), read from the shared corpus at run time: policy
 * bodies come out of its nginx.conf, `_mta-sts` records out of its dnsmasq config, and the verdict a
 * resolver should reach out of refdata.tsv. The nginx sites are replayed on a loopback HTTPS server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MTA_STS_MAX_POLICY_BYTES } from '../../core/limits.js';
import { MemoryResolver } from '../../dns/memory-resolver.js';
import type { DnsRecord } from '../../dns/types.js';
import { createLabCa } from '../../lab/ca.js';
import { labDialer } from '../../lab/dialer.js';
import {
  startPolicyHttps,
  type CertKind,
  type PolicyHttps,
  type PolicySite,
} from '../../../test/unit/support/policy-https.js';
import { fetchMtaStsPolicy } from './fetch.js';
import { mtaStsPolicyFindings } from './findings.js';
import { parseMtaStsPolicy } from './parse.js';
import { lookupMtaStsRecord } from './record.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DIR = resolve(ROOT, '../shared/corpora/conformance-mta-sts-snawoot/tests');
const present = existsSync(resolve(DIR, 'nginx.conf'));

/** One nginx `server` serving /.well-known/mta-sts.txt. */
interface Site {
  host: string;
  status: number;
  contentType: string;
  body: string;
  contentLength?: number;
}

function nginxSites(conf: string): Site[] {
  const sites: Site[] = [];
  for (const block of conf.split(/\n\s*server\s*\{/).slice(1)) {
    const host = /server_name\s+([^;\s]+);/.exec(block)?.[1];
    const loc = /location = \/\.well-known\/mta-sts\.txt \{([\s\S]*?)\n {8}\}/.exec(block)?.[1];
    if (!host || !loc) continue;
    const type = /types\s*\{\s*([^\s;]+)\s+txt;/.exec(loc)?.[1] ?? 'text/plain';
    const ret = /return (\d+) "((?:[^"\\]|\\.)*)";/.exec(loc);
    if (ret) {
      sites.push({ host, status: Number(ret[1]), contentType: type, body: ret[2]!.replace(/\\n/g, '\n') });
      continue;
    }
    // content_by_lua_block: ngx.say lines, then a loop of ngx.print chunks, maybe a declared length.
    const said = [...loc.matchAll(/ngx\.say\("([^"]*)"\)/g)].map((m) => `${m[1]}\n`).join('');
    const loop = /for i=(\d+), (\d+), 1 do\s+ngx\.print\("([^"]*)"\)/.exec(loc);
    const repeat = loop ? Number(loop[2]) - Number(loop[1]) + 1 : 0;
    const declared = /ngx\.header\["content-length"\] = "(\d+)"/.exec(loc)?.[1];
    const site: Site = {
      host,
      status: 200,
      contentType: type,
      body: said + (loop?.[3] ?? '').repeat(repeat),
    };
    if (declared) site.contentLength = Number(declared);
    sites.push(site);
  }
  return sites;
}

function dnsmasqRecords(conf: string): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (const m of conf.matchAll(/^address=\/([^/]+)\/([\d.]+)$/gm)) {
    if (m[1]!.includes('.')) records.push({ name: m[1]!, type: 'A', ttl: 300, data: m[2]! });
  }
  for (const m of conf.matchAll(/^txt-record=([^,]+),"([^"]*)"$/gm)) {
    records.push({ name: m[1]!, type: 'TXT', ttl: 300, data: { text: m[2]!, strings: [m[2]!] } });
  }
  return records;
}

/** refdata.tsv: `test <domain>\t<OK ...|NOTFOUND>` for plain domain queries. */
function expectedVerdicts(tsv: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of tsv.split('\n')) {
    const m = /^test ([a-z0-9-]+\.loc)\t(\S+)/.exec(line);
    if (m) out.set(m[1]!, m[2] === 'OK');
  }
  return out;
}

// The upstream certificates live outside the corpus; these stand in for what the names say.
const CERTS: Record<string, CertKind> = {
  'mta-sts.bad-cert1.loc': 'self-signed',
  'mta-sts.bad-cert2.loc': 'wrong-name',
};

describe.skipIf(!present)('postfix-mta-sts-resolver corpus', () => {
  const sites = present ? nginxSites(readFileSync(resolve(DIR, 'nginx.conf'), 'utf8')) : [];
  const records = present ? dnsmasqRecords(readFileSync(resolve(DIR, 'dnsmasq.conf.appendix'), 'utf8')) : [];
  const verdicts = present ? expectedVerdicts(readFileSync(resolve(DIR, 'refdata.tsv'), 'utf8')) : new Map();
  const body = (name: string) => sites.find((s) => s.host === `mta-sts.${name}.loc`)!.body;

  it('yields the sites, records and verdicts the corpus describes', () => {
    expect(sites.length).toBeGreaterThanOrEqual(15);
    expect(records.filter((r) => r.type === 'TXT').length).toBeGreaterThanOrEqual(15);
    expect(verdicts.get('good.loc')).toBe(true);
    expect(verdicts.get('bad-policy1.loc')).toBe(false);
  });

  it.each([
    ['good', true, 'enforce'],
    ['testing', true, 'testing'],
    ['valid-none', true, 'none'],
    ['fast-expire', true, 'enforce'],
    ['bad-policy3', true, 'enforce'],
    ['bad-policy1', false, undefined],
    ['bad-policy2', false, 'enforce'],
    ['bad-policy5', false, 'enforce'],
    ['bad-policy6', false, 'enforce'],
    ['bad-policy7', false, undefined],
    ['bad-policy8', false, undefined],
  ])('parses the %s policy body: valid=%s mode=%s', (name, valid, mode) => {
    const p = parseMtaStsPolicy(body(name));
    expect(p.valid, p.errors.join('; ')).toBe(valid);
    expect(p.mode).toBe(mode);
  });

  describe('served over HTTPS', () => {
    let https: PolicyHttps;
    let resolver: MemoryResolver;
    let dialer: ReturnType<typeof labDialer>;
    let caPem: string;

    beforeAll(async () => {
      const ca = await createLabCa();
      caPem = ca.certPem;
      const table: Record<string, PolicySite> = {};
      for (const s of sites) {
        table[s.host] = {
          cert: CERTS[s.host] ?? 'valid',
          handle: (_req, res) => {
            res.writeHead(s.status, {
              'content-type': s.contentType,
              ...(s.contentLength !== undefined ? { 'content-length': s.contentLength } : {}),
            });
            if (s.contentLength !== undefined) res.write(s.body);
            else res.end(s.body);
          },
        };
      }
      https = await startPolicyHttps(table, ca);
      resolver = new MemoryResolver({ records, signedZones: [] });
      dialer = labDialer(new Map([['127.0.0.1', new Map([[443, https.port]])]]));
    });

    afterAll(async () => {
      await https?.close();
    });

    const fetchFor = (domain: string) =>
      fetchMtaStsPolicy(domain, { resolver, dialer, ca: [caPem], timeoutMs: 5_000 });

    it.each([
      ['bad-policy3.loc', 'content-type'],
      ['bad-policy4.loc', 'http'],
      ['bad-cert1.loc', 'tls'],
      ['bad-cert2.loc', 'tls'],
      ['chunked-overlength.loc', 'size'],
      ['static-overlength.loc', 'size'],
    ])('fails to fetch %s at stage %s', async (domain, stage) => {
      const r = await fetchFor(domain);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.stage).toBe(stage);
    });

    it('replays an over-long body past the limit, as the corpus intends', () => {
      const long = sites.filter((s) => s.host.includes('overlength'));
      expect(long).toHaveLength(2);
      for (const s of long) expect(Buffer.byteLength(s.body)).toBeGreaterThan(MTA_STS_MAX_POLICY_BYTES);
    });

    it('reaches the resolver verdict for every plain domain in refdata.tsv', async () => {
      expect(verdicts.size).toBeGreaterThanOrEqual(10);
      for (const [domain, enforced] of verdicts) {
        const [record, fetched] = await Promise.all([lookupMtaStsRecord(domain, resolver), fetchFor(domain)]);
        const findings = mtaStsPolicyFindings(domain, record, fetched, ['mail.loc']);
        // A sender enforces when the record is valid, the policy fetched and valid, mode is enforce and
        // the MX is covered; warnings (LF line ends, a short max_age) do not stop it.
        const status = new Map(findings.map((f) => [f.id, f.status]));
        const ours =
          ['fetch', 'mode', 'mx', 'record'].every((k) => status.get(`mta-sts.policy.${k}`) === 'pass') &&
          status.get('mta-sts.policy.syntax') !== 'fail';
        expect(ours, `${domain}: ${findings.map((f) => `${f.id}=${f.status}`).join(', ')}`).toBe(enforced);
      }
    });
  });
});
