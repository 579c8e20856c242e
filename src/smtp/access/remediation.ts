/**
 * The settings to change, per protocol: Postfix for submission, Dovecot for IMAP and POP3 (the
 * commonest servers; others have equivalents under the same names in their documentation).
 */
import type { AccessProtocol } from './types.js';

/** One remediation text per kind of problem. */
export interface AccessFixes {
  /** Logins offered before TLS. */
  auth: string;
  /** No implicit-TLS port. */
  implicit: string;
  /** A clear-text port without (working) STARTTLS. */
  starttls: string;
  /** Old protocol versions or weak ciphers. */
  tls: string;
  certificate: string;
}

const SUBMISSIONS_SERVICE =
  'submissions inet n - n - - smtpd -o syslog_name=postfix/submissions -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes';

const DOVECOT_CERT =
  'Dovecot 2.3: ssl_cert = </etc/ssl/certs/mail-fullchain.pem and ssl_key = </etc/ssl/private/mail.key; Dovecot 2.4: ssl_server_cert_file = /etc/ssl/certs/mail-fullchain.pem and ssl_server_key_file = /etc/ssl/private/mail.key';

const DOVECOT_AUTH =
  'Dovecot: ssl = required, plus disable_plaintext_auth = yes (Dovecot 2.3) or auth_allow_cleartext = no (Dovecot 2.4). LOGINDISABLED is then advertised, and no password mechanism is offered before STARTTLS/STLS.';

const DOVECOT_TLS =
  'Dovecot: ssl_min_protocol = TLSv1.2 and ssl_cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!MD5 (the Mozilla "intermediate" profile), with ssl_prefer_server_ciphers = yes.';

const CERT_BASE =
  'Install a certificate from a public CA that names this host, with its full chain, and renew it automatically (e.g. ACME).';

const FIXES: Record<AccessProtocol, AccessFixes> = {
  smtp: {
    auth: `Postfix main.cf: smtpd_tls_auth_only = yes, so AUTH is only offered after STARTTLS. In master.cf give the submission service -o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes, and offer implicit TLS on 465: ${SUBMISSIONS_SERVICE}.`,
    implicit: `Postfix master.cf: ${SUBMISSIONS_SERVICE} (port 465, RFC 8314 §3.3), and point mail clients at it; keep submission (587) with -o smtpd_tls_security_level=encrypt for clients that cannot change yet.`,
    starttls:
      'Postfix: set smtpd_tls_chain_files in main.cf and give the submission service in master.cf -o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes; better still, move clients to submissions (465) with -o smtpd_tls_wrappermode=yes.',
    tls: 'Postfix main.cf (submission inherits it): smtpd_tls_protocols = >=TLSv1.2, smtpd_tls_mandatory_protocols = >=TLSv1.2, smtpd_tls_mandatory_ciphers = high, smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5, tls_preempt_cipherlist = yes.',
    certificate: `${CERT_BASE} Postfix: smtpd_tls_chain_files = /etc/ssl/private/mail.key, /etc/ssl/certs/mail-fullchain.pem (per service in master.cf with -o where submission uses another name than the MX).`,
  },
  imap: {
    auth: DOVECOT_AUTH,
    implicit:
      'Dovecot: service imap-login { inet_listener imaps { port = 993 ssl = yes } } with ssl = required; once clients use 993, close 143 with inet_listener imap { port = 0 }.',
    starttls: `Dovecot: ssl = required with a certificate configured (${DOVECOT_CERT}), so STARTTLS is offered and required; or close 143 (inet_listener imap { port = 0 }) and serve IMAP on 993 only.`,
    tls: DOVECOT_TLS,
    certificate: `${CERT_BASE} ${DOVECOT_CERT}.`,
  },
  pop3: {
    auth: DOVECOT_AUTH,
    implicit:
      'Dovecot: service pop3-login { inet_listener pop3s { port = 995 ssl = yes } } with ssl = required; once clients use 995, close 110 with inet_listener pop3 { port = 0 }.',
    starttls: `Dovecot: ssl = required with a certificate configured (${DOVECOT_CERT}), so STLS is offered and required; or close 110 (inet_listener pop3 { port = 0 }) and serve POP3 on 995 only.`,
    tls: DOVECOT_TLS,
    certificate: `${CERT_BASE} ${DOVECOT_CERT}.`,
  },
};

/** The remediation texts for a protocol. */
export function fixesFor(protocol: AccessProtocol): AccessFixes {
  return FIXES[protocol];
}
