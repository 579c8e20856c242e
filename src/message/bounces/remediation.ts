/** Remediation texts, naming the settings an administrator changes (Postfix first, as the common MTA). */
export const REMEDIATION = {
  internalHost:
    'Give the hosts that generate and relay bounces public names: Postfix `myhostname` (it becomes Reporting-MTA) on ' +
    'the outbound relay; rewrite internal relays\u2019 replies with `smtp_reply_filter`; strip internal Received hops from ' +
    'submitted mail before it leaves (`mailcomply headers sanitize` or the `mailcomply milter`), and return headers only ' +
    '(`bounce_size_limit`) so fewer of them travel back. Reword the notification with `bounce_template_file` (preview with `postconf -b`).',
  software:
    'Name no product or version: Postfix `smtpd_banner = $myhostname ESMTP` and a neutral `mail_name`; write the ' +
    'notification text with `bounce_template_file` (preview with `postconf -b`); Exim `smtp_banner`, Sendmail ' +
    '`SmtpGreetingMessage` and `confRECEIVED_HEADER`, Exchange `Set-ReceiveConnector -Banner`.',
  fullOriginal:
    'Return headers only: Postfix sends the whole original (message/rfc822) up to `bounce_size_limit` bytes (default 50000) ' +
    'and only its header (text/rfc822-headers) for larger messages, so set a small `bounce_size_limit` (e.g. 1) on the ' +
    'hosts that generate bounces; Exim `bounce_return_body = false`. Better still, reject unknown recipients during the ' +
    'SMTP session (`smtpd_reject_unlisted_recipient = yes`, `relay_recipient_maps`) so no bounce is generated at all.',
  otherRecipients:
    'Reject undeliverable recipients during the SMTP session instead of bouncing later (`smtpd_reject_unlisted_recipient = yes`, ' +
    '`relay_recipient_maps`, `address_verify` via `reject_unverified_recipient`), so alias, forward and list expansions never ' +
    'appear in a report; route list and alias errors to an owner address (`owner_request_special = yes`).',
  autoreply:
    'Keep out-of-office texts neutral ("I am away until <date>; for urgent matters write to <team address>"): no reason for the ' +
    'absence, no health or family details, no private numbers. Send external senders a shorter text or none (Exchange ' +
    '`Set-MailboxAutoReplyConfiguration -ExternalAudience Known`, Sieve `vacation` with `:addresses` and a separate external text).',
} as const;
