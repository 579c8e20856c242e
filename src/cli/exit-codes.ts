/** Process exit codes, as documented in the README. */
export const EXIT = {
  OK: 0,
  /** Findings at or above `--fail-on`. */
  FINDINGS: 1,
  USAGE: 2,
  OPERATIONAL: 3,
} as const;
