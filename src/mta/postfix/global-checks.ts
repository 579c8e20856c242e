import type { Finding } from '../../core/finding.js';
import { POSTFIX_BOUNCE_SIZE_RECOMMENDED } from '../../core/limits.js';
import { isYes, listItems, seconds, setting, type PostfixConfig } from './config.js';
import { fixMain, postfixFinding } from './emit.js';

/** Classes whose postmaster copies carry message headers or SMTP transcripts with addresses. */
const PERSONAL_CLASSES = ['bounce', 'delay', 'policy', 'protocol'];
/** Postfix's own default; longer queues keep undeliverable mail (and personal data) longer. */
const QUEUE_LIFETIME_MAX_S = 5 * 86_400;

/** Instance-wide checks: bounces, queue retention and logging. */
export function globalChecks(cfg: PostfixConfig): Finding[] {
  return [...bounceChecks(cfg), ...retentionChecks(cfg)];
}

function bounceChecks(cfg: PostfixConfig): Finding[] {
  const controls = ['minimisation.bounces'];
  const out: Finding[] = [];
  const size = setting(cfg, 'bounce_size_limit');
  const n = Number(size.value);
  const big = !Number.isFinite(n) || n > POSTFIX_BOUNCE_SIZE_RECOMMENDED;
  out.push(
    postfixFinding({
      id: 'postfix.bounce.size-limit',
      status: big ? 'warn' : 'pass',
      severity: big ? 'low' : 'info',
      title: big
        ? `bounces quote up to ${size.value} bytes of the original message`
        : 'bounces quote little of the original message',
      detail: big
        ? 'A non-delivery report returns the original message up to bounce_size_limit bytes, body included, to the (possibly forged) sender.'
        : 'Non-delivery reports return little more than the headers.',
      controls,
      setting: size,
      ...(big
        ? { remediation: fixMain(cfg, 'bounce_size_limit', String(POSTFIX_BOUNCE_SIZE_RECOMMENDED)) }
        : {}),
    }),
  );
  const tpl = setting(cfg, 'bounce_template_file');
  out.push(
    postfixFinding({
      id: 'postfix.bounce.template',
      status: 'info',
      title: tpl.value
        ? `bounce texts come from ${tpl.value}`
        : 'bounce texts are Postfix\u2019s built-in templates',
      detail: tpl.value
        ? 'Review the template: it must not promise or reveal more than needed (internal host names, contact persons).'
        : 'The built-in texts reveal no personal data but name the host; `postconf -b` prints them for review.',
      controls,
      setting: tpl,
    }),
  );
  const notify = setting(cfg, 'notify_classes');
  const personal = listItems(notify.value).filter((c) => PERSONAL_CLASSES.includes(c.toLowerCase()));
  out.push(
    postfixFinding({
      id: 'postfix.bounce.notify-classes',
      status: personal.length ? 'warn' : 'pass',
      severity: personal.length ? 'low' : 'info',
      title: personal.length
        ? `the postmaster gets copies of ${personal.join(', ')} mail`
        : 'the postmaster gets no copies of users\u2019 mail',
      detail: personal.length
        ? 'These notices carry message headers or SMTP transcripts with other people\u2019s addresses to a mailbox nobody set a retention period for.'
        : 'Only resource and software problems are reported.',
      controls,
      setting: notify,
      ...(personal.length ? { remediation: fixMain(cfg, 'notify_classes', 'resource, software') } : {}),
    }),
  );
  const delay = setting(cfg, 'delay_warning_time');
  const warns = (seconds(delay.value, 'h') ?? 0) > 0;
  out.push(
    postfixFinding({
      id: 'postfix.bounce.delay-warning',
      status: 'info',
      title: warns ? `senders are warned after ${delay.value} of delay` : 'no delay warnings are sent',
      detail: warns
        ? 'Delay notices tell senders their mail is queued; they quote headers only.'
        : 'Senders only hear of a problem when the message finally bounces.',
      controls,
      setting: delay,
    }),
  );
  return out;
}

function retentionChecks(cfg: PostfixConfig): Finding[] {
  const out: Finding[] = [];
  for (const name of ['maximal_queue_lifetime', 'bounce_queue_lifetime']) {
    const s = setting(cfg, name);
    const t = seconds(s.value, 'd');
    const long = t === undefined || t > QUEUE_LIFETIME_MAX_S;
    out.push(
      postfixFinding({
        id: `postfix.retention.${name === 'maximal_queue_lifetime' ? 'queue-lifetime' : 'bounce-queue-lifetime'}`,
        status: long ? 'warn' : 'pass',
        severity: long ? 'low' : 'info',
        title: long
          ? `undeliverable mail stays queued ${s.value}`
          : `undeliverable mail leaves the queue after ${s.value}`,
        detail: long
          ? 'Messages that cannot be delivered are kept on disk longer than the 5-day default; storage limitation asks for the shortest period that works.'
          : 'Deferred messages are returned or dropped within the default period.',
        controls: ['retention.stores'],
        setting: s,
        ...(long ? { remediation: fixMain(cfg, name, '5d') } : {}),
      }),
    );
  }
  const log = setting(cfg, 'maillog_file');
  const comp = setting(cfg, 'maillog_file_compressor');
  out.push(
    postfixFinding({
      id: 'postfix.retention.maillog',
      status: 'info',
      title: log.value ? `Postfix writes its own log to ${log.value}` : 'Postfix logs through syslog',
      detail: log.value
        ? log.value.startsWith('/dev/')
          ? 'The log goes to a stream; whoever collects it must rotate and purge it on schedule.'
          : `Rotate it with \`postfix logrotate\` (suffix ${setting(cfg, 'maillog_file_rotate_suffix').value}, compressor ${comp.value || 'none'}) and delete old files on schedule: Postfix never deletes them.`
        : 'Retention of the mail log depends on the syslog/journald rotation: check that it purges on schedule (mail logs hold every sender and recipient address).',
      controls: ['retention.logs'],
      setting: log,
      related: [comp],
    }),
  );
  const ids = setting(cfg, 'enable_long_queue_ids');
  const long = isYes(ids.value);
  out.push(
    postfixFinding({
      id: 'postfix.retention.long-queue-ids',
      status: long ? 'pass' : 'warn',
      severity: long ? 'info' : 'low',
      title: long ? 'queue ids are unique over time' : 'short queue ids are reused',
      detail: long
        ? 'Long queue ids let a message be traced across rotated logs without ambiguity.'
        : 'Short queue ids repeat, so answering an access request or tracing an incident across rotated logs can mix up different people\u2019s messages.',
      controls: ['retention.logs'],
      setting: ids,
      ...(long ? {} : { remediation: fixMain(cfg, 'enable_long_queue_ids', 'yes') }),
    }),
  );
  return out;
}
