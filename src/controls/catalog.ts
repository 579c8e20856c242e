/**
 * The GDPR control catalogue: the one place that says which article a check serves and why it
 * matters for email. Checks reference controls by id; reports group findings by control.
 */
export interface Control {
  id: string;
  title: string;
  /** Article references, most specific first. */
  gdpr: string[];
  /** Why this matters for an organisation's email, in words a DPO can reuse. */
  why: string;
  /** Finding id prefixes that feed this control (empty until a check exists). */
  checks: string[];
}

export const CONTROLS: readonly Control[] = [
  {
    id: 'transport.starttls',
    title: 'Mail is encrypted in transit between servers (STARTTLS)',
    gdpr: ['Art. 32(1)(a)', 'Art. 5(1)(f)'],
    why: 'Messages carry personal data; without STARTTLS with a valid certificate on every MX they cross the internet readable by anyone on the path.',
    checks: ['smtp.'],
  },
  {
    id: 'transport.mta-sts',
    title: 'Senders are told to refuse unencrypted delivery (MTA-STS)',
    gdpr: ['Art. 32(1)(a)', 'Art. 25(1)'],
    why: 'STARTTLS alone can be stripped by an attacker; an MTA-STS policy in enforce mode makes senders refuse to deliver in clear or to an impostor.',
    checks: ['mta-sts.'],
  },
  {
    id: 'transport.dane',
    title: 'MX certificates are pinned in DNSSEC-signed DNS (DANE)',
    gdpr: ['Art. 32(1)(a)', 'Art. 25(1)'],
    why: 'DANE TLSA records let sending servers authenticate the MX certificate without trusting every public CA, closing downgrade and impersonation attacks.',
    checks: ['dane.'],
  },
  {
    id: 'transport.dnssec',
    title: 'The mail DNS records are signed and validated (DNSSEC)',
    gdpr: ['Art. 32(1)(b)', 'Art. 32(1)(a)'],
    why: 'Unsigned MX and policy records can be forged in transit, redirecting mail (and the personal data in it) to an attacker; DANE requires DNSSEC.',
    checks: ['dnssec.'],
  },
  {
    id: 'transport.tls-reporting',
    title: 'Failures to encrypt inbound mail are reported (TLS-RPT)',
    gdpr: ['Art. 32(1)(d)'],
    why: 'TLS reporting tells the organisation when senders could not establish an encrypted or authenticated session, so failures are tested and fixed rather than unnoticed.',
    checks: ['tls-rpt.'],
  },
  {
    id: 'auth.spf',
    title: 'Authorised sending hosts are declared (SPF)',
    gdpr: ['Art. 32(1)(b)', 'Art. 5(1)(f)'],
    why: 'A correct SPF record limits who can send as the domain; phishing in the organisation\u2019s name is a common route to disclosure of personal data.',
    checks: ['spf.'],
  },
  {
    id: 'auth.dkim',
    title: 'Outgoing mail is signed with strong keys (DKIM)',
    gdpr: ['Art. 32(1)(b)', 'Art. 5(1)(f)'],
    why: 'DKIM signatures protect the integrity of messages and let recipients detect forged mail; weak or testing keys give no real protection.',
    checks: ['dkim.'],
  },
  {
    id: 'auth.dmarc',
    title: 'Forged mail is rejected and reported (DMARC)',
    gdpr: ['Art. 32(1)(b)', 'Art. 32(1)(d)'],
    why: 'A DMARC policy of quarantine or reject tells receivers to refuse mail that fails SPF and DKIM alignment, and aggregate reports show who sends in the domain\u2019s name.',
    checks: ['dmarc.'],
  },
  {
    id: 'availability.mail-routing',
    title: 'Mail for the domain is routed to reachable, correctly published servers',
    gdpr: ['Art. 32(1)(b)', 'Art. 32(1)(c)'],
    why: 'Broken MX records lose or delay messages, including requests from data subjects that the organisation must answer within a month.',
    checks: ['mx.'],
  },
  {
    id: 'minimisation.forensic-reports',
    title: 'Forensic (failure) reports do not send personal data to third parties',
    gdpr: ['Art. 5(1)(c)', 'Art. 28', 'Art. 44'],
    why: 'DMARC ruf reports contain headers and sometimes bodies of real messages; sending them to an external receiver transfers personal data to that processor.',
    checks: ['dmarc.ruf', 'processors.ruf'],
  },
  {
    id: 'minimisation.headers',
    title: 'Outgoing headers do not leak internal systems or users',
    gdpr: ['Art. 5(1)(c)', 'Art. 25(2)'],
    why: 'Received lines, X-Originating-IP and User-Agent headers disclose internal IP addresses, host names, client software and user names to every recipient.',
    checks: ['headers.', 'postfix.headers'],
  },
  {
    id: 'minimisation.bounces',
    title: 'Bounces and automatic replies disclose no personal data',
    gdpr: ['Art. 5(1)(c)', 'Art. 25(2)', 'Art. 32(1)(b)'],
    why: 'Non-delivery reports and auto-replies can echo whole messages, internal addresses and the existence of mailboxes to unknown senders.',
    checks: ['bounces.', 'autoreply.', 'postfix.bounce'],
  },
  {
    id: 'minimisation.smtp-disclosure',
    title: 'Mail servers do not disclose software, versions or mailbox existence',
    gdpr: ['Art. 5(1)(c)', 'Art. 32(1)(b)'],
    why: 'Banners with versions help attackers; VRFY and EXPN let anyone enumerate which people have mailboxes, which is personal data.',
    checks: ['smtp.banner', 'smtp.vrfy', 'postfix.disclosure'],
  },
  {
    id: 'processors.register',
    title: 'Every processor of the domain\u2019s mail is known and under contract',
    gdpr: ['Art. 28(1)', 'Art. 28(3)', 'Art. 30(1)(d)'],
    why: 'Every service in the SPF, MX, DKIM and report records processes personal data on the organisation\u2019s behalf and needs a data processing agreement and an entry in the record of processing.',
    checks: ['processors.'],
  },
  {
    id: 'processors.transfers',
    title: 'Transfers of mail data outside the EEA have a legal basis',
    gdpr: ['Art. 44', 'Art. 45', 'Art. 46'],
    why: 'A processor outside the EEA needs an adequacy decision, the EU-U.S. Data Privacy Framework, SCCs or BCRs, and often a transfer impact assessment.',
    checks: ['processors.transfer'],
  },
  {
    id: 'retention.logs',
    title: 'Mail logs are purged or pseudonymised on schedule',
    gdpr: ['Art. 5(1)(e)', 'Art. 5(1)(c)', 'Art. 32(1)(a)'],
    why: 'SMTP and IMAP logs hold addresses, IP addresses and user names of everyone who wrote; keeping them forever breaches storage limitation.',
    checks: ['retention.logs', 'logs.'],
  },
  {
    id: 'retention.stores',
    title: 'Queues, archives and quarantines are purged on schedule',
    gdpr: ['Art. 5(1)(e)'],
    why: 'Spam quarantines, deferred queues and archives silently keep complete messages long past any purpose.',
    checks: ['retention.'],
  },
  {
    id: 'rights.data-subject',
    title: 'A person\u2019s mail data can be found, exported and erased',
    gdpr: ['Art. 12(3)', 'Art. 15', 'Art. 16', 'Art. 17'],
    why: 'Access and erasure requests must be answered within a month across mailboxes, sent folders, archives, logs and quarantines.',
    checks: ['dsar.'],
  },
  {
    id: 'integrity.dns-change',
    title: 'Changes to mail DNS records are detected, documented and approved',
    gdpr: ['Art. 32(1)(b)', 'Art. 32(1)(d)', 'Art. 5(2)'],
    why: 'An unauthorised change to MX, SPF, DKIM, DMARC, MTA-STS or TLSA records can silently redirect or expose mail; accountability needs a record of who changed what.',
    checks: ['integrity.'],
  },
  {
    id: 'access.admin',
    title: 'Administrative access to mail systems is encrypted and restricted',
    gdpr: ['Art. 32(1)(b)', 'Art. 32(4)'],
    why: 'Submission and IMAP logins without TLS, passwords in logs or open relays expose credentials and every mailbox behind them.',
    checks: ['submission.', 'smtp.relay', 'postfix.auth', 'postfix.relay', 'dovecot.'],
  },
  {
    id: 'dpia.mail',
    title: 'Changes to mail infrastructure are assessed for data protection impact',
    gdpr: ['Art. 35', 'Art. 25(1)'],
    why: 'Moving mail to a new provider or adding a filtering service changes who processes personal data; a DPIA records the risks and the decision.',
    checks: ['dpia.'],
  },
  {
    id: 'incident.detection',
    title: 'Compromise of mail systems is detected',
    gdpr: ['Art. 32(1)(d)', 'Art. 33(1)'],
    why: 'Login anomalies, rejection spikes and DNS tampering are the early signs of a breach that must be assessed and, if it is one, notified.',
    checks: ['incident.'],
  },
  {
    id: 'incident.breach-notification',
    title: 'Personal data breaches are notified within 72 hours',
    gdpr: ['Art. 33', 'Art. 34'],
    why: 'The supervisory authority must be told within 72 hours of awareness, with facts, effects and remedial action documented.',
    checks: ['breach.'],
  },
];

const BY_ID = new Map(CONTROLS.map((c) => [c.id, c]));

/** The control with this id; throws on an unknown id so a typo in a check fails its tests. */
export function control(id: string): Control {
  const c = BY_ID.get(id);
  if (!c) throw new Error(`unknown control id: ${id}`);
  return c;
}

/** GDPR references of the given controls, deduplicated, in catalogue order. */
export function articlesFor(controlIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of controlIds) for (const a of control(id).gdpr) if (!out.includes(a)) out.push(a);
  return out;
}
