/**
 * Counts the sockets, servers and timers a process holds, so a probe test can show that nothing it
 * opened outlives it.
 */

const WATCHED = new Set(['TCPSocketWrap', 'TLSWrap', 'TCPServerWrap', 'Timeout']);

/** The watched handles open now, by kind, sorted. */
export function openHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => WATCHED.has(r))
    .sort();
}

/** Handles of each watched kind that `now` holds beyond `before`. */
function extra(before: string[], now: string[]): string[] {
  const left = [...before];
  return now.filter((h) => {
    const i = left.indexOf(h);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * Handles open beyond `before`. Closed sockets disappear a few event-loop turns later, so this polls
 * briefly (with setImmediate, which is not watched); the bound is far shorter than any probe
 * timeout, so a forgotten timer still shows.
 */
export async function leftoverHandles(before: string[]): Promise<string[]> {
  const deadline = performance.now() + 150;
  let more = extra(before, openHandles());
  while (more.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
    more = extra(before, openHandles());
  }
  return more;
}
