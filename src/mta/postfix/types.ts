/** Where a setting came from: a file and 1-based line, or Postfix's built-in default. */
export interface Source {
  file: string;
  line: number;
}

/** One `name = value` from main.cf, after joining continuation lines. */
export interface MainParam {
  name: string;
  /** The value as written, before `$name` expansion. */
  raw: string;
  file: string;
  line: number;
}

/** A line the parser could not use; reported as a finding, never thrown. */
export interface ConfigProblem {
  file: string;
  line: number;
  message: string;
}

/** One `-o name=value` override on a master.cf service. */
export interface ServiceOverride {
  name: string;
  raw: string;
  line: number;
}

/** One master.cf service entry. */
export interface MasterService {
  /** Service name as written: `smtp`, `submission`, `127.0.0.1:10025`. */
  name: string;
  /** `inet`, `unix`, `unix-dgram`, `fifo`, `pass`. */
  type: string;
  /** The daemon program: `smtpd`, `smtp`, `cleanup`, ... */
  command: string;
  /** Arguments after the command, without the `-o` overrides. */
  args: string[];
  overrides: ServiceOverride[];
  file: string;
  line: number;
}
