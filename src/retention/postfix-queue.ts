/**
 * The Postfix queue as a retention store: listed with `postqueue -j` (Postfix 3.1+, one JSON object per
 * line) and purged with `postsuper -d - QUEUE`. The runner is injected so tests need no Postfix.
 */
import { spawn } from 'node:child_process';
import { MailcomplyError } from '../core/errors.js';

/** What a command printed and how it ended. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a program with arguments and optional stdin; never through a shell. */
export type CommandRunner = (cmd: string, args: readonly string[], input?: string) => Promise<RunResult>;

/** The real runner: spawn without a shell, collect output. */
export const spawnRunner: CommandRunner = (cmd, args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });

/** One queued message; addresses are not kept (they would end up in plans and evidence). */
export interface QueuedMessage {
  queue: string;
  id: string;
  arrival: number;
  bytes: number;
  recipients: number;
}

const QUEUE_ID = /^[0-9A-Za-z]{6,20}$/;

/** Parses `postqueue -j` output; lines that are not queue entries are counted, not trusted. */
export function parsePostqueueJson(text: string): { messages: QueuedMessage[]; bad: number } {
  const messages: QueuedMessage[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      bad++;
      continue;
    }
    const id = o.queue_id;
    const queue = o.queue_name;
    const arrival = o.arrival_time;
    if (
      typeof id !== 'string' ||
      !QUEUE_ID.test(id) ||
      typeof queue !== 'string' ||
      typeof arrival !== 'number'
    ) {
      bad++;
      continue;
    }
    messages.push({
      queue,
      id,
      arrival: arrival * 1000,
      bytes: typeof o.message_size === 'number' ? o.message_size : 0,
      recipients: Array.isArray(o.recipients) ? o.recipients.length : 0,
    });
  }
  return { messages, bad };
}

const configArgs = (configDir: string | undefined): string[] => (configDir ? ['-c', configDir] : []);

/** Lists the queue through `postqueue -j`. */
export async function listQueue(
  run: CommandRunner,
  configDir?: string,
): Promise<{ messages: QueuedMessage[]; bad: number }> {
  let r: RunResult;
  try {
    r = await run('postqueue', [...configArgs(configDir), '-j']);
  } catch (err) {
    throw new MailcomplyError(
      'E_IO',
      `cannot run postqueue: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  }
  if (r.code !== 0) throw new MailcomplyError('E_IO', `postqueue -j failed (exit ${String(r.code)})`);
  return parsePostqueueJson(r.stdout);
}

/**
 * Deletes queue ids from one queue with `postsuper -d - QUEUE` (ids on stdin: no argument-length limit,
 * no shell). Returns the ids postsuper reported as removed; the rest vanished or were not deleted.
 */
export async function deleteQueued(
  run: CommandRunner,
  queue: string,
  ids: readonly string[],
  configDir?: string,
): Promise<{ removed: Set<string> }> {
  for (const id of ids) if (!QUEUE_ID.test(id)) throw new MailcomplyError('E_INPUT', 'invalid queue id');
  const r = await run('postsuper', [...configArgs(configDir), '-d', '-', queue], ids.join('\n') + '\n');
  if (r.code !== 0) throw new MailcomplyError('E_IO', `postsuper -d failed (exit ${String(r.code)})`);
  const removed = new Set<string>();
  for (const m of r.stderr.matchAll(/postsuper: ([0-9A-Za-z]+): removed/g)) removed.add(m[1]!);
  return { removed };
}
