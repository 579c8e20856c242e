/** One MTA or mail product named in a bounce, with its version when one is shown. */
export interface SoftwareMatch {
  product: string;
  version?: string;
  /** Offsets of the match in the scanned text. */
  start: number;
  end: number;
}

// Products whose names in a notification or Received line tell an attacker what to target.
const PATTERNS: { product: string; re: RegExp }[] = [
  { product: 'Postfix', re: /\bPostfix(?:[ /]v?(\d+\.\d+(?:\.\d+)?))?/g },
  { product: 'Sendmail', re: /\bSendmail(?:[ /]v?(\d+\.\d+\.\d+\w*))?/gi },
  // Sendmail's Received form: "by host (8.12.11/8.12.11) with ESMTP".
  { product: 'Sendmail', re: /\((\d+\.\d+\.\d+\w*(?:\+Sun)?\/\d+\.\d+\.\d+\w*)\)/g },
  { product: 'Exim', re: /\bExim(?: version)?[ /]?(\d+\.\d+(?:\.\d+)?)?/g },
  { product: 'qmail', re: /\bqmail(?:[ -](\d+\.\d+))?/g },
  { product: 'Microsoft SMTPSVC', re: /Microsoft SMTPSVC(?:\(([\d.]+)\))?/g },
  { product: 'Microsoft Exchange', re: /Microsoft Exchange(?: Server)?(?: (?:V|version )?(\d[\d.]+))?/gi },
  { product: 'Microsoft MimeOLE', re: /MimeOLE V?(\d[\d.]+)/gi },
  { product: 'Lotus Domino', re: /Lotus Domino(?: Release)? ?(\d[\w.]*)?/gi },
  { product: 'MDaemon', re: /\bMDaemon(?: PRO)?(?: v?(\d[\d.]+))?/g },
  { product: 'GroupWise', re: /GroupWise(?: Internet Agent)?(?: (\d[\d.]+))?/gi },
  { product: 'Netscape Messaging Server', re: /Netscape Messaging Server(?: (\d[\d.]+))?/gi },
  {
    product: 'Sun/Oracle Messaging Server',
    re: /(?:Sun Java\(tm\) System|Oracle Communications) Messaging Server(?: (\d[\w.]+))?/gi,
  },
  { product: 'IMail', re: /\bIMail(?: Server)? v?(\d[\d.]+)/g },
  { product: 'SMTP32', re: /\bSMTP32 v?(\d[\d.]+)?/g },
  { product: 'Kerio Connect', re: /Kerio Connect(?: (\d[\d.]+))?/gi },
  { product: 'Zimbra', re: /\bZimbra(?: (\d[\d.]+))?/g },
  { product: 'CommuniGate Pro', re: /CommuniGate Pro(?: (\d[\d.]+))?/gi },
  { product: 'Courier', re: /\bCourier(?: mail server)? (\d[\d.]+)/g },
  { product: 'PowerMTA', re: /PowerMTA(?:\(TM\))?(?: v?(\d[\d.]+))?/g },
  { product: 'Haraka', re: /\bHaraka(?:\/(\d[\d.]+))?/g },
  { product: 'TeamWARE', re: /TeamWARE[^\n()]*?(?: v(\d[\w.]+))?\b/g },
  { product: 'MailEnable', re: /\bMailEnable(?: (\d[\d.]+))?/g },
  { product: 'OpenSMTPD', re: /\bOpenSMTPD(?: (\d[\w.]+))?/g },
];

/** Every product (and version) named in a text, in order of appearance. */
export function findSoftware(text: string): SoftwareMatch[] {
  const out: SoftwareMatch[] = [];
  for (const { product, re } of PATTERNS) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      const match: SoftwareMatch = { product, start: m.index, end: m.index + m[0].length };
      if (m[1]) match.version = m[1];
      out.push(match);
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
