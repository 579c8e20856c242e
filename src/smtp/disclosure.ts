/**
 * Software names and versions an SMTP server gives away in its banner or EHLO greeting: free
 * reconnaissance for anyone looking for a vulnerable version.
 */

/** One product (and version, when shown) found in a greeting. */
export interface Disclosure {
  product: string;
  version?: string;
  /** The text it was found in, as the server sent it. */
  text: string;
}

interface Pattern {
  product: string;
  re: RegExp;
}

// Version groups are optional: the product name alone already narrows the attack surface.
const VERSION = String.raw`v?(\d+(?:\.\d+)+[a-z0-9._/-]*)`;
const PATTERNS: readonly Pattern[] = [
  { product: 'Postfix', re: /\bPostfix\b/i },
  { product: 'Exim', re: new RegExp(String.raw`\bExim\b(?:\s+${VERSION})?`, 'i') },
  {
    product: 'Microsoft Exchange',
    re: new RegExp(String.raw`\bMicrosoft ESMTP MAIL Service\b(?:,?\s*Version:?\s*${VERSION})?`, 'i'),
  },
  {
    product: 'Microsoft Exchange',
    re: new RegExp(String.raw`\bMicrosoft Exchange(?: Server)?\b(?:\s+${VERSION})?`, 'i'),
  },
  { product: 'Sendmail', re: new RegExp(String.raw`\bSendmail\b(?:\s+${VERSION})?`, 'i') },
  { product: 'OpenSMTPD', re: new RegExp(String.raw`\bOpenSMTPD\b(?:\s+${VERSION})?`, 'i') },
  { product: 'qmail', re: /\bqmail\b/i },
  { product: 'Haraka', re: new RegExp(String.raw`\bHaraka\b(?:[\s/]+${VERSION})?`, 'i') },
  { product: 'MDaemon', re: new RegExp(String.raw`\bMDaemon\b(?:\s+(?:PRO\s+)?${VERSION})?`, 'i') },
  { product: 'hMailServer', re: new RegExp(String.raw`\bhMailServer\b(?:\s+${VERSION})?`, 'i') },
  { product: 'IceWarp', re: new RegExp(String.raw`\bIceWarp\b(?:\s+${VERSION})?`, 'i') },
  { product: 'Zimbra', re: new RegExp(String.raw`\bZimbra\b(?:\s+${VERSION})?`, 'i') },
  { product: 'Kerio Connect', re: new RegExp(String.raw`\bKerio Connect\b(?:\s+${VERSION})?`, 'i') },
  { product: 'CommuniGate Pro', re: new RegExp(String.raw`\bCommuniGate Pro\b(?:\s+${VERSION})?`, 'i') },
  { product: 'Courier', re: /\bCourier(?:-MTA)?\b(?= ESMTP| mail server)/i },
  {
    product: 'MailEnable',
    re: new RegExp(String.raw`\bMailEnable\b(?:\s+(?:Service,\s*Version:\s*)?${VERSION})?`, 'i'),
  },
  { product: 'Axigen', re: new RegExp(String.raw`\bAxigen\b(?:\s+${VERSION})?`, 'i') },
  { product: 'SmarterMail', re: new RegExp(String.raw`\bSmarterMail\b(?:\s+${VERSION})?`, 'i') },
  {
    product: 'Lotus Domino',
    re: new RegExp(String.raw`\b(?:Lotus|IBM|HCL) Domino\b(?:\s+(?:Release\s+)?${VERSION})?`, 'i'),
  },
  { product: 'Kopano/Zarafa', re: /\b(?:Kopano|Zarafa)\b/i },
  {
    product: 'James',
    re: new RegExp(String.raw`\bApache JAMES\b(?:\s+(?:SMTP Server\s+)?${VERSION})?`, 'i'),
  },
  // Operating systems are disclosure too (Postfix's default `$mail_name (Debian/GNU)` shows one).
  { product: 'Debian', re: /\bDebian\b/i },
  { product: 'Ubuntu', re: /\bUbuntu\b/i },
  { product: 'Red Hat', re: /\b(?:Red Hat|RHEL|CentOS|Rocky Linux|AlmaLinux)\b/i },
  { product: 'FreeBSD', re: /\bFreeBSD\b/i },
];

/** Every product seen in the given greeting texts, deduplicated, in pattern order. */
export function findDisclosures(texts: readonly string[]): Disclosure[] {
  const out: Disclosure[] = [];
  for (const text of texts) {
    for (const p of PATTERNS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const version = m[1];
      const existing = out.find((d) => d.product === p.product);
      if (existing) {
        if (!existing.version && version) existing.version = version;
        continue;
      }
      out.push(version ? { product: p.product, version, text } : { product: p.product, text });
    }
  }
  return out;
}
