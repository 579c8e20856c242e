import { parseDeliveryStatus, stripType, type DsnReport } from './dsn.js';
import { header, headers, parseHeaderBlock, type HeaderField } from './headers.js';
import { decodeTransfer, partText, type MimePart } from './mime.js';

/** What a message is, for bounce analysis. */
export type MessageKind = 'dsn' | 'bounce' | 'autoreply' | 'other';

/** The original message (or its header) that a bounce sent back. */
export interface ReturnedOriginal {
  /** `message`: message/rfc822 or inline copy with body; `headers`: header only (text/rfc822-headers). */
  form: 'message' | 'headers';
  headers: HeaderField[];
  /** Bytes of original body returned (0 for a header-only return). */
  bodyBytes: number;
  /** Where it was found: the MIME type or `inline text`. */
  where: string;
}

/** A message taken apart for the disclosure checks. */
export interface Dissected {
  kind: MessageKind;
  top: HeaderField[];
  dsn?: DsnReport;
  /** Human-readable text of the notification or reply itself (not of the returned original). */
  notice: string;
  returned?: ReturnedOriginal;
  /** Why the message got its kind, for the evidence. */
  reasons: string[];
}

/** Notice text kept per message: the human-readable part of a bounce is a few KiB. */
const MAX_NOTICE_CHARS = 256 * 1024;

const RETURNED_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822']);
const HEADER_TYPES = new Set(['text/rfc822-headers', 'message/rfc822-headers']);
const DS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

// Lines non-standard bounces put before the copy of the original (qmail, Exim, Sendmail, Exchange...).
const INLINE_MARKER =
  /^[ \t>]*-{2,}[ \t]*(?:this is a copy of (?:the|your) message|below this line is a copy of the message|original message follows|(?:the )?original message(?: was| header)?|returned mail follows|unsent message below|message text follows|copy of the (?:original )?message|undelivered message)[^\n]*$/im;
const INLINE_HEADERS_ONLY =
  /copy of the message'?s headers|message headers? follows?|header of the original/i;

const DAEMON_SENDER =
  /\b(?:mailer-daemon|postmaster|mdaemon|mail delivery (?:system|subsystem|service)|mail administrator|system administrator|mail system)\b|<>/i;
const BOUNCE_SUBJECT =
  /undeliver|returned mail|mail (?:delivery )?(?:failed|failure|problem)|delivery (?:status notification|failure|failed|report|has failed)|failure notice|non[- ]?delivery|could not be delivered|nondeliverable|unzustellbar|nicht zustellbar|non remis|non distribuable|échec de la remise|no se puede entregar|non recapitabile|onbestelbaar|mail system error|returned to sender|delivery notification|delayed|not (?:yet )?been delivered|mail failed|failed mail|mail error|delivery warning|user unknown/i;
const BOUNCE_TEXT =
  /qmail-send program|could not be delivered|couldn't be delivered|delivery to the following recipients? failed|permanent(?:ly)? (?:fatal )?error|user unknown|no such user|user not found|invalid mailbox|mailbox unavailable|recipient address rejected|message was undeliverable|delivery has failed|unable to deliver/i;
const AUTOREPLY_SUBJECT =
  /out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?(?:reply|response|antwort|answer)|autoreply|^\s*auto:|on vacation|vacation|on leave|away from (?:the )?office|abwesen|automatische antwort|urlaub|nicht im büro|réponse automatique|absence|absent|respuesta automática|fuera de la oficina|ausente|risposta automatica|fuori sede|fuori ufficio|assente|automatisch antwoord|afwezig|niet aanwezig|resposta automática|fora do escritório|autosvar|frånvaro|fraværende|ikke på kontoret|poza biurem|automatyczna odpowiedź|nieobecn|automaattinen vastaus|poissa/i;

/** Classifies a parsed message and pulls out the report, notice text and returned original. */
export function dissect(root: MimePart): Dissected {
  const top = root.headers;
  const reasons: string[] = [];
  const notice: string[] = [];
  let dsn: DsnReport | undefined;
  let returned: ReturnedOriginal | undefined;
  const visit = (p: MimePart): void => {
    if (DS_TYPES.has(p.type)) {
      dsn ??= parseDeliveryStatus(decodeTransfer(p));
      // Some generators forget the blank line, so the report's first fields land in the part header.
      const misplaced = header(p.headers, 'reporting-mta');
      if (dsn.reportingMta === undefined && misplaced) dsn.reportingMta = stripType(misplaced);
      return;
    }
    if (p !== root && RETURNED_TYPES.has(p.type)) {
      const inner = p.children[0];
      if (!returned && inner) {
        const bodyBytes = inner.terminated ? inner.body.trim().length : 0;
        returned = {
          form: bodyBytes > 0 ? 'message' : 'headers',
          headers: inner.headers,
          bodyBytes,
          where: p.type,
        };
      }
      return; // the original's own text is not the notice
    }
    if (p !== root && HEADER_TYPES.has(p.type)) {
      if (!returned) {
        const block = parseHeaderBlock(decodeTransfer(p));
        returned = { form: 'headers', headers: block.fields, bodyBytes: 0, where: p.type };
      }
      return;
    }
    if (p.children.length > 0) {
      for (const c of p.children) visit(c);
      return;
    }
    if ((p.type === 'text/plain' || p.type === 'text/html') && noticeLength(notice) < MAX_NOTICE_CHARS) {
      const t = partText(p);
      notice.push(p.type === 'text/html' ? stripHtml(t) : t);
    }
  };
  visit(root);
  let text = notice.join('\n').slice(0, MAX_NOTICE_CHARS);
  if (!returned) {
    const inline = inlineOriginal(text);
    if (inline) {
      returned = inline.returned;
      text = inline.before;
    }
  }
  const d: Dissected = { kind: 'other', top, notice: text, reasons };
  if (dsn) d.dsn = dsn;
  if (returned) d.returned = returned;
  d.kind = kindOf(root, d, reasons);
  return d;
}

function kindOf(root: MimePart, d: Dissected, reasons: string[]): MessageKind {
  const subject = header(d.top, 'subject') ?? '';
  const from = header(d.top, 'from') ?? '';
  const reportType = (root.params['report-type'] ?? '').toLowerCase();
  if (d.dsn || (root.type === 'multipart/report' && reportType === 'delivery-status')) {
    reasons.push(
      d.dsn ? 'message/delivery-status part (RFC 3464)' : 'multipart/report; report-type=delivery-status',
    );
    return 'dsn';
  }
  const daemon = DAEMON_SENDER.test(from.trim());
  const nullPath = headers(d.top, 'return-path').some((v) => /^\s*<\s*>\s*$/.test(v));
  const failed = header(d.top, 'x-failed-recipients') !== undefined;
  if (daemon) reasons.push('sender is a mailer daemon or postmaster');
  if (nullPath) reasons.push('null Return-Path <>');
  if (failed) reasons.push('X-Failed-Recipients header');
  const subj = BOUNCE_SUBJECT.test(subject);
  if (subj) reasons.push('bounce subject');
  const body = BOUNCE_TEXT.test(d.notice);
  if (body) reasons.push('bounce wording in the text');
  if (failed || (daemon && (subj || body || d.returned)) || (subj && (body || nullPath || d.returned)))
    return 'bounce';
  if (daemon && (nullPath || header(d.top, 'auto-submitted') !== undefined)) return 'bounce';
  reasons.length = 0;
  const auto = (header(d.top, 'auto-submitted') ?? '').trim().toLowerCase();
  if (auto.startsWith('auto-replied')) reasons.push(`Auto-Submitted: ${auto.slice(0, 40)}`);
  for (const h of ['x-autoreply', 'x-autorespond', 'x-autoresponse', 'x-autoresponder']) {
    if (header(d.top, h) !== undefined) reasons.push(`${h} header`);
  }
  const precedence = (header(d.top, 'precedence') ?? '').trim().toLowerCase();
  if (precedence === 'auto_reply') reasons.push('Precedence: auto_reply');
  if (AUTOREPLY_SUBJECT.test(subject)) reasons.push('out-of-office or automatic-reply subject');
  if (reasons.length > 0 && !(reasons.length === 1 && auto === 'no')) return 'autoreply';
  reasons.length = 0;
  return 'other';
}

function inlineOriginal(text: string): { before: string; returned: ReturnedOriginal } | undefined {
  const m = INLINE_MARKER.exec(text);
  if (!m) return undefined;
  let after = text.slice(m.index + m[0].length);
  // Skip the rest of the marker, further marker lines and blank lines, up to the first header line.
  for (let i = 0; i < 6 && !/^[A-Za-z0-9-]+:/.test(after); i++) {
    const nl = after.indexOf('\n');
    if (nl === -1) return undefined;
    after = after.slice(nl + 1);
  }
  const raw = Buffer.from(after, 'utf8').toString('latin1');
  const block = parseHeaderBlock(raw);
  if (block.fields.length === 0) return undefined;
  const bodyBytes = block.terminated ? raw.slice(block.bodyStart).trim().length : 0;
  const headersOnly = INLINE_HEADERS_ONLY.test(m[0]);
  return {
    before: text.slice(0, m.index),
    returned: {
      form: bodyBytes > 0 && !headersOnly ? 'message' : 'headers',
      headers: block.fields,
      bodyBytes: headersOnly ? 0 : bodyBytes,
      where: 'inline text',
    },
  };
}

function noticeLength(parts: string[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

function stripHtml(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
