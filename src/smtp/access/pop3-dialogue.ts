/**
 * POP3 (110, 995): greeting, `CAPA` (RFC 2449), `STLS` (RFC 2595), `QUIT`. Never USER, PASS, APOP
 * or AUTH: what the server would accept is read from its capability list.
 */
import { SMTP_MAX_REPLY_LINES } from '../../core/limits.js';
import { deadlineIn, shown } from '../line-channel.js';
import { printable } from '../line-reader.js';
import { pop3Capabilities, unlisted } from './capabilities.js';
import type { Dialogue, DialogueFactory } from './dialogue.js';
import { AccessError, TextSession } from './text-session.js';
import type { AccessPhase } from './types.js';

const STATUS = /^(\+OK|-ERR)\b ?(.*)$/is;
const SHOWN_TEXT = 120;

interface Status {
  ok: boolean;
  text: string;
}

function status(phase: AccessPhase, raw: string, what = 'POP3 response'): Status {
  const m = STATUS.exec(raw);
  if (!m) throw new AccessError(phase, `not a ${what}: "${shown(raw)}"`);
  return { ok: m[1]!.toUpperCase() === '+OK', text: printable(m[2] ?? '').slice(0, SHOWN_TEXT) };
}

/** The POP3 dialogue over one socket. */
export const pop3Dialogue: DialogueFactory = (socket, transcript, c): Dialogue => {
  const s = new TextSession(socket, transcript, c.signal);

  const single = async (phase: AccessPhase, cmd: string, deadline: number): Promise<Status> => {
    s.send(phase, cmd);
    return status(phase, await s.line(phase, deadline));
  };

  return {
    async greet(keep) {
      const g = status('greeting', await s.line('greeting', deadlineIn(c.t.banner)), 'POP3 greeting');
      keep({ ok: g.ok, text: [g.text] });
      if (!g.ok) throw new AccessError('greeting', `session refused: -ERR ${g.text}`.trim());
    },
    async capabilities() {
      const deadline = deadlineIn(c.t.command);
      const r = await single('capability', 'CAPA', deadline);
      // RFC 2449 §5: servers predating CAPA answer -ERR; that is an answer, not a failure.
      if (!r.ok) return unlisted();
      const lines: string[] = [];
      for (;;) {
        const raw = await s.line('capability', deadline, true);
        if (raw === '.') return pop3Capabilities(lines);
        // RFC 1939 §3: a line starting with the termination octet is byte-stuffed.
        lines.push(printable(raw.startsWith('.') ? raw.slice(1) : raw));
        if (lines.length >= SMTP_MAX_REPLY_LINES) {
          throw new AccessError('capability', `CAPA listing longer than ${SMTP_MAX_REPLY_LINES} lines`);
        }
      }
    },
    async startTls() {
      const r = await single('starttls', 'STLS', deadlineIn(c.t.command));
      return { ok: r.ok, reply: `${r.ok ? '+OK' : '-ERR'} ${r.text}`.trim() };
    },
    async quit() {
      try {
        await single('quit', 'QUIT', deadlineIn(c.t.quit));
      } catch {
        // The session ends either way; the transcript already notes what happened.
      }
    },
    detach: () => s.detach(),
    upgrade: (tls) => s.upgrade(tls),
  };
};
