/**
 * The resolver's policy cache: one row per recipient domain in a SQLite file (so policies survive a
 * restart, as RFC 8461 §5.1 requires for the trust-on-first-use model to work), mirrored in memory
 * so that a cached answer is a map lookup and never waits on the disk or the network.
 */
import Database from 'better-sqlite3';
import { MailcomplyError } from '../../core/errors.js';
import type { MtaStsMode } from '../../domain/mta-sts/parse.js';

/** A policy as fetched and accepted, with the `_mta-sts` record id it was fetched under. */
export interface CachedPolicy {
  id: string;
  mode: MtaStsMode;
  mx: string[];
  maxAge: number;
  /** Epoch ms of the fetch. */
  fetchedAt: number;
  /** Epoch ms after which RFC 8461 forbids using it: fetchedAt + max_age. */
  expiresAt: number;
}

/** What is known about one domain: its policy (if any) and whether its MX hosts have DANE. */
export interface CacheEntry {
  domain: string;
  policy?: CachedPolicy;
  /** `all`: every MX host has authenticated TLSA; `some`: at least one; `none`: no DANE seen. */
  dane: 'all' | 'some' | 'none';
  /** Epoch ms of the last complete discovery (record, policy, DANE); refreshes are timed from it. */
  checkedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sts_domain (
  domain      TEXT PRIMARY KEY,
  policy_id   TEXT,
  mode        TEXT,
  mx          TEXT,
  max_age     INTEGER,
  fetched_at  INTEGER,
  expires_at  INTEGER,
  dane        TEXT NOT NULL,
  checked_at  INTEGER NOT NULL
) WITHOUT ROWID;
`;

interface Row {
  domain: string;
  policy_id: string | null;
  mode: string | null;
  mx: string | null;
  max_age: number | null;
  fetched_at: number | null;
  expires_at: number | null;
  dane: string;
  checked_at: number;
}

const MODES: readonly string[] = ['enforce', 'testing', 'none'];
const DANE: readonly string[] = ['all', 'some', 'none'];

function fromRow(r: Row): CacheEntry | undefined {
  if (!DANE.includes(r.dane)) return undefined;
  const entry: CacheEntry = { domain: r.domain, dane: r.dane as CacheEntry['dane'], checkedAt: r.checked_at };
  if (r.policy_id !== null) {
    let mx: unknown;
    try {
      mx = JSON.parse(r.mx ?? '[]');
    } catch {
      return undefined;
    }
    if (!Array.isArray(mx) || !mx.every((m) => typeof m === 'string')) return undefined;
    if (!MODES.includes(r.mode ?? '') || r.max_age === null || r.fetched_at === null || r.expires_at === null)
      return undefined;
    entry.policy = {
      id: r.policy_id,
      mode: r.mode as MtaStsMode,
      mx: mx as string[],
      maxAge: r.max_age,
      fetchedAt: r.fetched_at,
      expiresAt: r.expires_at,
    };
  }
  return entry;
}

/**
 * SQLite-backed policy cache. `path` ':memory:' keeps it in memory (tests, one-off queries).
 * @example const cache = new PolicyCache('/var/lib/mailcomply/sts.sqlite'); cache.get('example.org')
 */
export class PolicyCache {
  private readonly db: Database.Database;
  private readonly entries = new Map<string, CacheEntry>();
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(path: string) {
    try {
      this.db = new Database(path);
      // WAL: writes from refreshes do not block reads, and a crash never corrupts the file.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new MailcomplyError('E_IO', `cannot open the policy cache ${path}: ${String(err)}`, {
        cause: err,
      });
    }
    this.upsert = this.db.prepare(
      `INSERT INTO sts_domain (domain, policy_id, mode, mx, max_age, fetched_at, expires_at, dane, checked_at)
       VALUES (@domain, @policy_id, @mode, @mx, @max_age, @fetched_at, @expires_at, @dane, @checked_at)
       ON CONFLICT(domain) DO UPDATE SET policy_id = excluded.policy_id, mode = excluded.mode,
         mx = excluded.mx, max_age = excluded.max_age, fetched_at = excluded.fetched_at,
         expires_at = excluded.expires_at, dane = excluded.dane, checked_at = excluded.checked_at`,
    );
    this.remove = this.db.prepare('DELETE FROM sts_domain WHERE domain = ?');
    for (const row of this.db.prepare('SELECT * FROM sts_domain').all() as Row[]) {
      const entry = fromRow(row);
      // A row this version cannot read is dropped: rediscovering the domain is always safe.
      if (entry) this.entries.set(entry.domain, entry);
      else this.remove.run(row.domain);
    }
  }

  get(domain: string): CacheEntry | undefined {
    return this.entries.get(domain);
  }

  /** Every entry, for the refresher. */
  all(): IterableIterator<CacheEntry> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  put(entry: CacheEntry): void {
    const p = entry.policy;
    this.upsert.run({
      domain: entry.domain,
      policy_id: p?.id ?? null,
      mode: p?.mode ?? null,
      mx: p ? JSON.stringify(p.mx) : null,
      max_age: p?.maxAge ?? null,
      fetched_at: p?.fetchedAt ?? null,
      expires_at: p?.expiresAt ?? null,
      dane: entry.dane,
      checked_at: entry.checkedAt,
    });
    this.entries.set(entry.domain, entry);
  }

  delete(domain: string): void {
    this.remove.run(domain);
    this.entries.delete(domain);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
