import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** How a child process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server started in the foreground as a child process in its own process group. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles once the process has exited. */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** The last lines of its log, for failure messages. */
  logTail(lines?: number): string;
  /** SIGTERM to the whole group, SIGKILL if it lingers; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Daemon>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we want.
  }
}

// Last resort if a test file dies without its afterAll: never leave servers behind on a shared machine.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of running) killGroup(d.pid, 'SIGKILL');
  });
}

const SEARCH_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** Absolute path of a system tool, or an error telling how to install it. */
export function findTool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  throw new Error(`${name} not found: run "bash test/system/setup.sh" (as root) first`);
}

/** Runs a tool to completion and returns its stdout; a non-zero exit throws with its stderr. */
export function runTool(name: string, args: string[], cwd: string, timeoutMs = 30_000): Promise<string> {
  const file = findTool(name);
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${name} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Output of a tool run to completion, whatever its exit status (delv reports failures on stderr, exit 0). */
export interface ToolOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool and returns both streams and its exit code; only a missing tool or a timeout throws. */
export function runToolOutput(
  name: string,
  args: string[],
  cwd: string,
  timeoutMs = 30_000,
): Promise<ToolOutput> {
  const file = findTool(name);
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && (err.killed || typeof err.code !== 'number'))
        reject(new Error(`${name} did not finish: ${err.message}`));
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** Starts `tool args` with stdout and stderr appended to `logFile`. */
export function startDaemon(
  name: string,
  tool: string,
  args: string[],
  cwd: string,
  logFile: string,
): Daemon {
  installExitHook();
  const fd = openSync(logFile, 'a');
  // detached: its own process group, so stop() also reaches any workers it forks (NSD does).
  const child = spawn(findTool(tool), args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  const pid = child.pid ?? -1;
  const daemon: Daemon = {
    name,
    pid,
    logFile,
    exited,
    hasExited: () => done,
    logTail(lines = 15) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    async stop(graceMs = 5000) {
      if (pid > 0) {
        killGroup(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), graceMs);
        });
        const outcome = await Promise.race([exited, late]);
        clearTimeout(timer);
        // Workers may outlive their parent for a moment; the group kill makes sure none stays.
        killGroup(pid, 'SIGKILL');
        if (outcome === 'late') await exited;
      }
      running.delete(daemon);
    },
  };
  if (pid > 0) running.add(daemon);
  return daemon;
}

/**
 * Polls `probe` until it returns true. Gives up early when `daemon` has exited (its log explains why)
 * and after `timeoutMs` otherwise.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  daemon: Daemon,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (daemon.hasExited()) {
      throw new Error(`${daemon.name} exited before ${what}:\n${daemon.logTail()}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${daemon.name}: timed out waiting for ${what}:\n${daemon.logTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
