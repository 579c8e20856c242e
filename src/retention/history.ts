import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * sha256 of every file an earlier `retention apply` produced by anonymising, read from the evidence
 * file: a rotated log anonymised yesterday must not be pseudonymised again (pseudonyms of pseudonyms).
 * A missing evidence file means no history.
 */
export async function anonymizedHashes(evidencePath: string): Promise<Set<string>> {
  const out = new Set<string>();
  let fh;
  try {
    fh = await open(evidencePath, 'r');
  } catch {
    return out;
  }
  const rl = createInterface({ input: fh.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    try {
      const e = JSON.parse(line) as {
        record?: { type?: string; stores?: { done?: { sha256After?: unknown }[] }[] };
      };
      if (e.record?.type !== 'mailcomply.retention.apply') continue;
      for (const s of e.record.stores ?? [])
        for (const d of s.done ?? []) if (typeof d.sha256After === 'string') out.add(d.sha256After);
    } catch {
      // a broken line is verify's business; history just skips it
    }
  }
  return out;
}
