/**
 * IMAP (143, 993): greeting, `CAPABILITY`, `STARTTLS`, `LOGOUT` (RFC 9051, RFC 3501). Never LOGIN or
 * AUTHENTICATE: what the server would accept is read from its capability list.
 */
import { SMTP_MAX_REPLY_LINES } from '../../core/limits.js';
import { deadlineIn, shown } from '../line-channel.js';
import { printable } from '../line-reader.js';
import { imapCapabilities } from './capabilities.js';
import type { Dialogue, DialogueFactory } from './dialogue.js';
import { AccessError, TextSession } from './text-session.js';
import type { AccessPhase } from './types.js';

const GREETING = /^\* (OK|PREAUTH|BYE)\b ?(.*)$/is;
const SHOWN_TEXT = 120;

interface Completion {
  status: 'OK' | 'NO' | 'BAD';
  text: string;
  /** Untagged responses received before the completion, without `* `, escaped. */
  untagged: string[];
}

/** The IMAP dialogue over one socket; tags run a, b, c, ... so transcripts read like the RFC examples. */
export const imapDialogue: DialogueFactory = (socket, transcript, c): Dialogue => {
  const s = new TextSession(socket, transcript, c.signal);
  let sent = 0;

  const command = async (phase: AccessPhase, cmd: string, timeoutMs: number): Promise<Completion> => {
    const tag = String.fromCharCode(0x61 + (sent++ % 26));
    s.send(phase, `${tag} ${cmd}`);
    const deadline = deadlineIn(timeoutMs);
    const untagged: string[] = [];
    const done = new RegExp(`^${tag} (OK|NO|BAD)\\b ?(.*)$`, 'is');
    for (;;) {
      const raw = await s.line(phase, deadline, untagged.length > 0);
      const m = done.exec(raw);
      if (m) {
        const status = m[1]!.toUpperCase() as Completion['status'];
        return { status, text: printable(m[2] ?? '').slice(0, SHOWN_TEXT), untagged };
      }
      if (!raw.startsWith('* ')) throw new AccessError(phase, `not an IMAP response: "${shown(raw)}"`);
      untagged.push(printable(raw.slice(2)));
      if (untagged.length >= SMTP_MAX_REPLY_LINES) {
        throw new AccessError(phase, `response longer than ${SMTP_MAX_REPLY_LINES} lines`);
      }
    }
  };

  return {
    async greet(keep) {
      const raw = await s.line('greeting', deadlineIn(c.t.banner));
      const m = GREETING.exec(raw);
      if (!m) throw new AccessError('greeting', `not an IMAP greeting: "${shown(raw)}"`);
      const kind = m[1]!.toUpperCase();
      const text = printable(m[2] ?? '');
      keep({ ok: kind !== 'BYE', text: [text], ...(kind === 'PREAUTH' ? { preauth: true } : {}) });
      // After BYE the server closes the connection itself (RFC 9051 §7.1.5): nothing to say.
      if (kind === 'BYE')
        throw new AccessError('greeting', `session refused: BYE ${text.slice(0, SHOWN_TEXT)}`);
    },
    async capabilities() {
      const r = await command('capability', 'CAPABILITY', c.t.command);
      if (r.status !== 'OK') {
        await this.quit();
        throw new AccessError('capability', `CAPABILITY answered ${r.status} ${r.text}`.trim());
      }
      return imapCapabilities(r.untagged);
    },
    async startTls() {
      const r = await command('starttls', 'STARTTLS', c.t.command);
      return { ok: r.status === 'OK', reply: `${r.status} ${r.text}`.trim() };
    },
    async quit() {
      try {
        await command('quit', 'LOGOUT', c.t.quit);
      } catch {
        // The session ends either way; the transcript already notes what happened.
      }
    },
    detach: () => s.detach(),
    upgrade: (tls) => s.upgrade(tls),
  };
};
