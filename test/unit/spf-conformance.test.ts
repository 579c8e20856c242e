/**
 * The openspf.org RFC 7208 test suite (two revisions), run against checkHost over in-memory DNS.
 * The zone conversion follows the suite's reference driver (pyspf testspf.py): "SPF" entries are
 * also served as TXT unless the name has its own TXT entries, "NONE" means no record, and a
 * TIMEOUT entry times out every query type that has no record listed before it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DnsError } from '../../src/core/errors.js';
import { MemoryResolver } from '../../src/dns/memory-resolver.js';
import type { DnsRecord, DnsResult, QueryOptions, Resolver, RRType } from '../../src/dns/types.js';
import { normaliseName, type FailureMode } from '../../src/dns/zone-data.js';
import { checkHost, spfIdentity } from '../../src/domain/spf/evaluate.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpora', 'conformance-spf-rfc7208');
const SUITES = ['pyspf/test/rfc7208-tests.yml', 'mailauth-variant/test/fixtures/spf/rfc7208-tests.yml'];

interface SuiteTest {
  helo: string;
  host: string;
  mailfrom: string;
  result: string | string[];
  explanation?: string;
  receiver?: string;
}
interface Scenario {
  description: string;
  tests: Record<string, SuiteTest>;
  zonedata: Record<string, unknown[]>;
}

type Entry = { type: string; value: unknown } | 'TIMEOUT';

/** A MemoryResolver plus the (name, type) pairs that time out, which ZoneData cannot say per type. */
class SuiteResolver implements Resolver {
  constructor(
    private readonly inner: MemoryResolver,
    private readonly answered: Map<string, Set<string>>,
  ) {}

  async query<T extends RRType>(name: string, type: T, options?: QueryOptions): Promise<DnsResult<T>> {
    const types = this.answered.get(normaliseName(name));
    if (types && !types.has(type)) throw new DnsError('E_DNS_TIMEOUT', `no answer for ${type} query`);
    return this.inner.query(name, type, options);
  }
}

function entriesOf(raw: unknown[]): Entry[] {
  const out: Entry[] = [];
  const generated: Entry[] = [];
  const hasTxt = raw.some((e) => typeof e === 'object' && e !== null && 'TXT' in e);
  for (const e of raw) {
    if (e === 'TIMEOUT') {
      out.push('TIMEOUT');
      continue;
    }
    for (const [type, value] of Object.entries(e as Record<string, unknown>)) {
      if (value === 'NONE') continue;
      out.push({ type, value });
      if (type === 'SPF' && !hasTxt) generated.push({ type: 'TXT', value });
    }
  }
  // The reference driver appends generated TXT records after every listed entry.
  return [...out, ...generated];
}

function toRecord(name: string, type: string, value: unknown): DnsRecord {
  const base = { name, ttl: 300 };
  if (type === 'TXT' || type === 'SPF') {
    const strings = Array.isArray(value) ? value.map(String) : [String(value)];
    return { ...base, type, data: { text: strings.join(''), strings } };
  }
  if (type === 'MX') {
    const [preference, exchange] = value as [number, string];
    return { ...base, type, data: { preference, exchange } };
  }
  if (type === 'A' || type === 'AAAA' || type === 'PTR' || type === 'CNAME') {
    return { ...base, type, data: String(value) };
  }
  throw new Error(`unsupported record type in suite: ${type}`);
}

function buildResolver(zonedata: Record<string, unknown[]>): Resolver {
  const records: DnsRecord[] = [];
  const failures: Record<string, FailureMode> = {};
  const answered = new Map<string, Set<string>>();
  for (const [owner, raw] of Object.entries(zonedata)) {
    const name = normaliseName(owner);
    const entries = entriesOf(raw);
    const timeoutAt = entries.indexOf('TIMEOUT');
    for (const e of entries) if (e !== 'TIMEOUT') records.push(toRecord(name, e.type, e.value));
    if (timeoutAt < 0) continue;
    const before = new Set(entries.slice(0, timeoutAt).flatMap((e) => (e === 'TIMEOUT' ? [] : [e.type])));
    if (before.size === 0) failures[name] = 'timeout';
    else answered.set(name, before);
  }
  return new SuiteResolver(new MemoryResolver({ records, signedZones: [], failures }), answered);
}

function loadSuite(file: string): Scenario[] {
  const text = readFileSync(path.join(corpus, file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Scenario);
}

const FIXED_NOW = new Date('2025-03-01T12:00:00Z');
let total = 0;
let passed = 0;

for (const file of SUITES) {
  describe(`RFC 7208 suite: ${file}`, () => {
    for (const scenario of loadSuite(file)) {
      describe(scenario.description, () => {
        const resolver = buildResolver(scenario.zonedata);
        for (const [id, t] of Object.entries(scenario.tests)) {
          total++;
          it(id, async () => {
            const { domain, sender } = spfIdentity(t.mailfrom, t.helo);
            const options = { resolver, helo: t.helo, clock: () => FIXED_NOW };
            const res = await checkHost(
              t.host,
              domain,
              sender,
              t.receiver ? { ...options, receiver: t.receiver } : options,
            );
            const allowed = Array.isArray(t.result) ? t.result : [t.result];
            expect(allowed, `${id}: ${res.reason ?? ''}`).toContain(res.result);
            if (t.explanation !== undefined) {
              // "DEFAULT" in the suite means the receiver's own text, i.e. no exp= explanation.
              expect(res.explanation).toBe(t.explanation === 'DEFAULT' ? undefined : t.explanation);
            }
            passed++;
          });
        }
      });
    }
  });
}

describe('RFC 7208 suite totals', () => {
  it('loaded every scenario of both revisions', () => {
    // 203 cases in the pyspf revision, 200 in the mailauth one (three bug-report cases fewer).
    expect(total).toBe(403);
  });
});

afterAll(() => {
  console.log(`SPF RFC 7208 suite: ${passed}/${total} passed`);
});
