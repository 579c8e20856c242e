import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialError, directDialer, type Dialer } from '../../src/core/dialer.js';
import type { Finding } from '../../src/core/finding.js';
import { DnsClient } from '../../src/dns/client.js';
import type { TlsaData } from '../../src/dns/types.js';
import { daneFindings } from '../../src/domain/dane/findings.js';
import { lookupTlsa, tlsaFromCertificate, tlsaParams } from '../../src/domain/dane/tlsa.js';
import { scanDomain } from '../../src/domain/scan.js';
import { createLabCa, type IssuedCert, type LabCa } from '../../src/lab/ca.js';
import { probeSmtp } from '../../src/smtp/probe.js';
import { smtpFindings } from '../../src/smtp/findings.js';
import type { SmtpProbeResult } from '../../src/smtp/types.js';
import type { DnsStack } from './dns-stack.js';
import { startDnsStack } from './dns-stack.js';
import type { DnsRelay } from './postfix-dns-relay.js';
import { startDnsRelay } from './postfix-dns-relay.js';
import { ldnsDaneVerify, posttlsFinger, servedChain } from './postfix-tools.js';
import type { HeldAddress, PostfixInstance } from './postfix.js';
import {
  holdLoopbackAddress,
  loopbackAddressPresent,
  postfixDirExists,
  postfixPids,
  startPostfix,
} from './postfix.js';

// A real Postfix with STARTTLS behind real NSD/unbound: the scanner's DANE verdict for each MX must
// be the one Postfix's own DANE client (posttls-finger) and ldns-dane reach from the same records.

const ADDRESS = '127.0.1.10';
/** Postfix's myhostname (banner, EHLO) and the SNI name openssl asks for. */
const POSTFIX_NAME = 'mx1.dane-match.example';

/** One signed zone per case, all pointing their MX at the same Postfix. */
interface DaneCase {
  zone: string;
  mx: string;
  /** The scanner's dane.match status this case must produce (and the tools must agree with). */
  expected: 'pass' | 'fail';
  record: (served: IssuedCert, other: IssuedCert) => TlsaData;
}

const CASES: DaneCase[] = [
  {
    zone: 'dane-match.example',
    mx: 'mx1.dane-match.example',
    expected: 'pass',
    // DANE-EE: Postfix's own key.
    record: (served) => tlsaFromCertificate(served.certDer, 3, 1, 1),
  },
  {
    zone: 'dane-mismatch.example',
    mx: 'mx1.dane-mismatch.example',
    expected: 'fail',
    // DANE-EE pinning a key Postfix does not have: a certificate changed without updating DNS.
    record: (_served, other) => tlsaFromCertificate(other.certDer, 3, 1, 1),
  },
  {
    zone: 'dane-ta.example',
    mx: 'mx1.dane-ta.example',
    expected: 'pass',
    // DANE-TA: the intermediate Postfix sends after its leaf.
    record: (served) => tlsaFromCertificate(intermediateDer(served), 2, 1, 1),
  },
];

function intermediateDer(cert: IssuedCert): Buffer {
  const pems = cert.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!pems[1]) throw new Error('the served chain has no intermediate');
  return Buffer.from(new X509Certificate(pems[1]).raw);
}

function rdata(r: TlsaData): string {
  return `${tlsaParams(r)} ${r.data}`;
}

function statusOf(findings: Finding[], id: string): string | undefined {
  return findings.find((f) => f.id === id)?.status;
}

let held: HeldAddress;
let ca: LabCa;
let served: IssuedCert;
let postfix: PostfixInstance;
let stack: DnsStack;
let relay: DnsRelay;
let client: DnsClient;
let dialer: Dialer;
const records = new Map<string, TlsaData>();
const probes = new Map<string, SmtpProbeResult>();

let tornDown: Promise<void> | undefined;
/** Stops everything once, whether the teardown test or afterAll gets there first. */
function teardown(): Promise<void> {
  tornDown ??= (async () => {
    client?.close();
    await relay?.close();
    await stack?.close();
    await postfix?.stop();
    await held?.release();
  })();
  return tornDown;
}

beforeAll(async () => {
  held = await holdLoopbackAddress(ADDRESS);
  ca = await createLabCa();
  // One certificate valid for every MX name, so only the TLSA records differ between the cases.
  served = await ca.issue({ names: CASES.map((c) => c.mx), viaIntermediate: true });
  const other = await ca.issue({ names: ['mx1.dane-mismatch.example'] });
  postfix = await startPostfix({
    address: ADDRESS,
    hostname: POSTFIX_NAME,
    keyPem: served.keyPem,
    chainPem: served.chainPem,
  });
  for (const c of CASES) records.set(c.mx, c.record(served, other));
  stack = await startDnsStack(
    CASES.map((c) => {
      const r = rdata(records.get(c.mx) as TlsaData);
      return {
        name: c.zone,
        signing: 'valid' as const,
        // The scanner reads _25._tcp; posttls-finger reaches Postfix on its real port and asks for
        // _<port>._tcp (RFC 6698 §3), so the same record is published at both names.
        records: [
          '@ MX 10 mx1',
          `mx1 A ${ADDRESS}`,
          `_25._tcp.mx1 TLSA ${r}`,
          `_${postfix.port}._tcp.mx1 TLSA ${r}`,
        ].join('\n'),
      };
    }),
  );
  relay = await startDnsRelay(stack.resolver);
  client = new DnsClient({ servers: [stack.resolver], timeoutMs: 2000, retries: 1 });
  // What a sender does on port 25 of the MX address lands on Postfix's test port; nothing else is reachable.
  dialer = {
    connect(host, port, options) {
      if (host === ADDRESS && port === 25) return directDialer.connect(ADDRESS, postfix.port, options);
      return Promise.reject(new DialError('refused', `connect to port ${port} failed: not the test MX`));
    },
  };
  for (const c of CASES) {
    const a = await client.query(c.mx, 'A');
    const address = a.answers[0]?.data;
    if (typeof address !== 'string') throw new Error(`${c.mx} has no A record through unbound`);
    probes.set(
      c.mx,
      await probeSmtp({ host: c.mx, address }, { dialer, ca: [ca.certPem], legacyTls: false }),
    );
  }
});
afterAll(teardown);

describe('the Postfix test instance', () => {
  it('listens with STARTTLS on the test address and serves the lab chain', async () => {
    expect(postfix.address).toBe(ADDRESS);
    expect(postfix.port).not.toBe(25);
    const chain = await servedChain(postfix.dir, ADDRESS, postfix.port, POSTFIX_NAME);
    expect(chain).toHaveLength(2);
    expect(Buffer.from(new X509Certificate(chain[0] ?? '').raw).equals(served.certDer)).toBe(true);
    expect(Buffer.from(new X509Certificate(chain[1] ?? '').raw).equals(intermediateDer(served))).toBe(true);
    // Its own log shows the TLS session the check above opened.
    expect(postfix.logTail(50)).toMatch(/Anonymous TLS connection established from/);
  });

  it('unbound serves every TLSA record authenticated, exactly as computed', async () => {
    for (const c of CASES) {
      const t = await lookupTlsa(c.mx, client);
      expect(t, c.mx).toMatchObject({ name: `_25._tcp.${c.mx}`, rcode: 'NOERROR', ad: true });
      expect(t.records.map(rdata), c.mx).toEqual([rdata(records.get(c.mx) as TlsaData)]);
    }
  });
});

describe('the scanner against Postfix', () => {
  it('probes the address from DNS and finds STARTTLS, a valid certificate and a quiet banner', () => {
    for (const c of CASES) {
      const r = probes.get(c.mx) as SmtpProbeResult;
      expect(r.address, c.mx).toBe(ADDRESS);
      expect(r.banner?.text[0], c.mx).toBe(`${POSTFIX_NAME} ESMTP`);
      expect(r.tls?.chain, c.mx).toHaveLength(2);
      const f = smtpFindings({ host: c.mx, addresses: [ADDRESS] }, [r], { clock: () => new Date() });
      expect(statusOf(f, 'smtp.connect'), c.mx).toBe('pass');
      expect(statusOf(f, 'smtp.starttls'), c.mx).toBe('pass');
      expect(statusOf(f, 'smtp.certificate'), c.mx).toBe('pass');
      expect(statusOf(f, 'smtp.banner'), c.mx).toBe('pass');
      expect(statusOf(f, 'smtp.vrfy'), c.mx).toBe('pass');
    }
  });

  it('gives dane.match pass for the matching records and fail for the stale one', async () => {
    for (const c of CASES) {
      const t = await lookupTlsa(c.mx, client);
      const f = daneFindings(c.mx, t, probes.get(c.mx)?.tls?.chain, true);
      expect(statusOf(f, 'dane.tlsa'), c.mx).toBe('pass');
      expect(statusOf(f, 'dane.match'), c.mx).toBe(c.expected);
    }
  });
});

describe('agreement with independent DANE clients', () => {
  async function ourVerdict(c: DaneCase): Promise<boolean> {
    const f = daneFindings(c.mx, await lookupTlsa(c.mx, client), probes.get(c.mx)?.tls?.chain, true);
    return statusOf(f, 'dane.match') === 'pass';
  }

  it("posttls-finger (Postfix's DANE client, live STARTTLS) reaches the same verdict", async () => {
    for (const c of CASES) {
      const finger = await posttlsFinger(postfix.dir, relay.address, `${c.zone}:${postfix.port}`);
      const detail = `${c.mx}:\n${finger.output}`;
      // It negotiated TLS and judged the peer (no fallback to unauthenticated opportunistic TLS).
      expect(finger.output, detail).toMatch(/TLS connection established to mx1\./);
      expect(finger.output, detail).not.toMatch(/Anonymous TLS connection/);
      expect(finger.verified, detail).toBe(c.expected === 'pass');
      expect(finger.verified, detail).toBe(await ourVerdict(c));
      if (c.expected === 'pass')
        expect(finger.matchedRecord, detail).toBe(rdata(records.get(c.mx) as TlsaData));
      else expect(finger.output, detail).toMatch(/no matching DANE TLSA records/);
    }
  });

  it('ldns-dane, given the chain openssl saw from Postfix, reaches the same verdict', async () => {
    const chainFile = join(postfix.dir, 'served-chain.pem');
    const chain = await servedChain(postfix.dir, ADDRESS, postfix.port, POSTFIX_NAME);
    expect(chain).toHaveLength(2);
    await writeFile(chainFile, `${chain.join('\n')}\n`);
    for (const c of CASES) {
      const ldns = await ldnsDaneVerify(postfix.dir, relay.address, c.mx, chainFile);
      const detail = `${c.mx}:\n${ldns.output}`;
      expect(ldns.validated, detail).toBe(c.expected === 'pass');
      expect(ldns.validated, detail).toBe(await ourVerdict(c));
      if (c.expected === 'fail') expect(ldns.output, detail).toMatch(/no matching DANE TLSA records/);
    }
  });
});

describe('a whole scan through unbound, probing Postfix', () => {
  it('gives the same dane.match verdicts and grades high risk by them', async () => {
    for (const c of CASES) {
      const report = await scanDomain(c.zone, {
        resolver: client,
        timeoutS: 20,
        transport: { dialer, ca: [ca.certPem], legacyTls: false },
      });
      const f = report.findings;
      const detail = `${c.zone}: ${JSON.stringify(f.map((x) => `${x.id} ${x.status}`))}`;
      expect(statusOf(f, 'smtp.starttls'), detail).toBe('pass');
      expect(statusOf(f, 'smtp.certificate'), detail).toBe('pass');
      expect(statusOf(f, 'dane.tlsa'), detail).toBe('pass');
      expect(statusOf(f, 'dane.match'), detail).toBe(c.expected);
      expect(statusOf(f, 'dnssec.mx'), detail).toBe('pass');
      // DSK guidance: high risk needs DANE that works on every MX, which only the matching cases have.
      expect(report.grade?.highRisk, detail).toBe(c.expected);
    }
  });
});

describe('teardown', () => {
  it('stops Postfix, the DNS stack and the relay, and gives the address back', async () => {
    const pids = postfixPids(postfix);
    expect(pids.length).toBeGreaterThan(0);
    expect(await loopbackAddressPresent(ADDRESS)).toBe(true);
    await teardown();
    expect(postfixPids(postfix)).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(postfixDirExists(postfix)).toBe(false);
    expect(stack.unbound.hasExited()).toBe(true);
    expect(stack.nsd.hasExited()).toBe(true);
    // Removed only when this run added it; an address someone else set up stays.
    expect(await loopbackAddressPresent(ADDRESS)).toBe(!held.added);
  });
});
