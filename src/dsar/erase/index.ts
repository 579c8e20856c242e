import { compileIdentity, type DataSubject } from '../identity.js';
import { scanMessage } from '../search/message.js';
import { runFind, type FindOptions, type FindResult } from '../search/run.js';
import type { SourceSpec } from '../types.js';
import { planErase } from './plan.js';
import type { ErasePlan, LegalHold } from './types.js';

export type { EraseItem, EraseOutcome, ErasePlan, EraseSummary, HeldItem, LegalHold } from './types.js';
export { applyErase, pauseHookFromEnv, subjectDigests, summarise, type ApplyOptions } from './apply.js';
export { acquireDotlock, type Dotlock } from './dotlock.js';
export { SubjectPseudonymiser, pseudonymiseLogLines } from './log-lines.js';
export { eraseMaildirItem, findMaildirFile } from './maildir.js';
export { eraseMboxItems } from './mbox.js';
export { folderOf, noHold, planErase, sourceOf } from './plan.js';
export { verifyErase, type VerifyResult } from './verify.js';

/**
 * Searches the sources for the subject and plans the erasure. An item that also names an address
 * under legal hold (checked on the same bytes the search read, bodies decoded) is held, not erased.
 */
export async function planFromSources(
  sources: readonly SourceSpec[],
  subject: DataSubject,
  hold: LegalHold,
  opts: Pick<FindOptions, 'onProgress' | 'threads' | 'workersAfter'> = {},
): Promise<{ plan: ErasePlan; find: FindResult }> {
  const id = compileIdentity(subject);
  const holdId = hold.addresses.length
    ? compileIdentity({ addresses: hold.addresses, names: [] })
    : undefined;
  const mentionsHold = new Set<string>();
  const find = await runFind(sources, id, {
    ...opts,
    onMatch(match, item) {
      if (!holdId) return;
      const hit =
        item.type === 'message'
          ? scanMessage(item.raw, holdId).hits.length > 0
          : holdId.addresses(item.text).length > 0;
      if (hit) mentionsHold.add(JSON.stringify(match.location));
    },
  });
  const plan = planErase(find.matches, sources, hold, (m) => mentionsHold.has(JSON.stringify(m.location)));
  return { plan, find };
}
