import { basename } from 'node:path';
import type { Match, MatchLocation } from '../types.js';
import type { ErasePlan, HeldItem, LegalHold } from './types.js';
import type { SourceSpec } from '../types.js';

/** An empty hold list. */
export function noHold(): LegalHold {
  return { addresses: [], folders: [], sources: [] };
}

/** The folder an item lives in, as a hold names it. */
export function folderOf(loc: MatchLocation): string | undefined {
  if (loc.type === 'maildir') return loc.folder === '' ? 'INBOX' : loc.folder;
  if (loc.type === 'imap') return loc.folder;
  if (loc.type === 'mbox') return basename(loc.path).replace(/\.gz$/, '');
  return undefined;
}

/** The source an item belongs to: its path or URL. */
export function sourceOf(loc: MatchLocation): string {
  return loc.type === 'imap' ? loc.url : loc.path;
}

function sameFolder(a: string, b: string): boolean {
  const n = (s: string): string => s.replace(/^\.+/, '').replace(/\//g, '.').toLowerCase();
  return n(a) === n(b) || (n(a) === 'inbox' && n(b) === '');
}

function sameSource(a: string, b: string): boolean {
  const n = (s: string): string => s.replace(/\/+$/, '');
  return n(a) === n(b);
}

/**
 * Splits the matches into items to erase and items held. A hold on an address holds every message
 * whose text also names that address (a correspondent under litigation hold), checked with `mentions`.
 */
export function planErase(
  matches: readonly Match[],
  sources: readonly SourceSpec[],
  hold: LegalHold,
  mentions: (m: Match) => boolean = () => false,
): ErasePlan {
  const plan: ErasePlan = { items: [], held: [], sources: [...sources] };
  const seen = new Set<string>();
  for (const m of matches) {
    const loc = m.location;
    const k = JSON.stringify(loc);
    if (seen.has(k)) continue;
    seen.add(k);
    const held = holdFor(m, hold, mentions);
    if (held) plan.held.push(held);
    else plan.items.push({ location: loc, action: loc.type === 'log' ? 'pseudonymise' : 'delete' });
  }
  return plan;
}

function holdFor(m: Match, hold: LegalHold, mentions: (m: Match) => boolean): HeldItem | undefined {
  const loc = m.location;
  const src = hold.sources.find((s) => sameSource(s, sourceOf(loc)));
  if (src !== undefined) return { location: loc, hold: 'source', rule: src };
  const folder = folderOf(loc);
  const f = folder === undefined ? undefined : hold.folders.find((h) => sameFolder(h, folder));
  if (f !== undefined) return { location: loc, hold: 'folder', rule: f };
  if (hold.addresses.length && mentions(m)) return { location: loc, hold: 'address', rule: 'address' };
  return undefined;
}
