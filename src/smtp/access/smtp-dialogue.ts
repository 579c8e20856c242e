/**
 * Submission (465, 587): the MX probe's SMTP session and steps, with its phases renamed to the
 * access probe's. No AUTH is ever sent: the EHLO listing is the evidence.
 */
import { PhaseError, SmtpSession } from '../session.js';
import { replySummary, sayEhlo, tryQuit } from '../steps.js';
import type { ProbePhase } from '../types.js';
import { smtpCapabilities } from './capabilities.js';
import type { Dialogue, DialogueFactory } from './dialogue.js';
import { AccessError } from './text-session.js';
import type { AccessPhase } from './types.js';

const PHASES: Partial<Record<ProbePhase, AccessPhase>> = {
  banner: 'greeting',
  ehlo: 'capability',
  starttls: 'starttls',
  tls: 'tls',
  quit: 'quit',
};

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PhaseError) throw new AccessError(PHASES[err.phase] ?? 'capability', err.reason);
    throw err;
  }
}

/** The SMTP submission dialogue over one socket. */
export const smtpDialogue: DialogueFactory = (socket, transcript, c): Dialogue => {
  const s = new SmtpSession(socket, transcript, c.signal);
  return {
    greet: (keep) =>
      mapped(async () => {
        const r = await s.reply('banner', c.t.banner);
        keep({ ok: r.code === 220, text: r.lines, code: r.code });
        if (r.code === 220) return;
        const kind = r.code < 500 ? 'temporarily refused (greylisting, tarpit or overload)' : 'refused';
        await tryQuit(s, c.t);
        throw new AccessError('greeting', `session ${kind}: ${replySummary(r)}`);
      }),
    capabilities: (inTls) =>
      mapped(async () =>
        smtpCapabilities(await sayEhlo(s, c.heloName, c.t, inTls ? 'EHLO after STARTTLS' : 'EHLO')),
      ),
    startTls: () =>
      mapped(async () => {
        const r = await s.command('starttls', 'STARTTLS', c.t.command);
        return { ok: r.code === 220, reply: replySummary(r) };
      }),
    quit: () => tryQuit(s, c.t),
    detach: () => s.detach(),
    upgrade: (tls) => s.upgrade(tls),
  };
};
