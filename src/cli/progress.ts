/** Progress on stderr, only when stderr is a terminal and not --quiet: pipes and CI logs stay clean. */
export function progressReporter(quiet: boolean, verb: string) {
  const live = !quiet && Boolean(process.stderr.isTTY);
  let last = 0;
  return {
    update(done: number, total: number): void {
      if (!live) return;
      const now = Date.now();
      if (done !== total && now - last < 100) return;
      last = now;
      process.stderr.write(`\r${verb} ${done}/${total}`);
    },
    done(): void {
      if (live) process.stderr.write('\r\x1b[K');
    },
  };
}
