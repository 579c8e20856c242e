/** How evidence shows personal data: redacted by default, whole only when the user asks. */
export interface RedactOptions {
  showPersonal: boolean;
}

const ADDRESS =
  /([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+)@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)/g;
const PHONE = /(?<![\w.])(?:\+|00|0|\()[\d \t/().-]{6,}\d(?![\w.]*\d)/g;
const DATE_OR_IP = /^\d{1,4}([./-])\d{1,2}\1\d{1,4}$|^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Replaces the local part of every e-mail address, keeping the domain (it names the organisation). */
export function redactAddresses(text: string): string {
  return text.replace(ADDRESS, (_m, _local: string, domain: string) => `***@${domain}`);
}

/** Masks every digit of a phone-number-like run except the last two. */
export function redactPhones(text: string): string {
  return text.replace(PHONE, (m) => {
    const digits = m.replace(/\D/g, '').length;
    if (digits < 7 || DATE_OR_IP.test(m.trim())) return m;
    let seen = 0;
    return m.replace(/\d/g, (d) => (++seen > digits - 2 ? d : 'x'));
  });
}

/** Redacts e-mail addresses unless personal data may be shown. */
export function redact(text: string, o: RedactOptions): string {
  return o.showPersonal ? text : redactAddresses(text);
}

/** Redacts addresses and phone numbers (for free text such as auto-replies). */
export function redactText(text: string, o: RedactOptions): string {
  return o.showPersonal ? text : redactPhones(redactAddresses(text));
}

/** Every e-mail address in a text, lower-cased, in order, deduplicated. */
export function extractAddresses(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(ADDRESS)) out.add(m[0].replace(/^\.+|\.+$/g, '').toLowerCase());
  return [...out];
}

/** Characters of context kept on each side of a match in evidence. */
const CONTEXT = 60;

/** A one-line excerpt around `[start, end)`, with ellipses where cut, then redacted. */
export function excerpt(text: string, start: number, end: number, o: RedactOptions): string {
  const from = Math.max(0, start - CONTEXT);
  const to = Math.min(text.length, end + CONTEXT);
  const body = text.slice(from, to).replace(/\s+/g, ' ').trim();
  return redact(`${from > 0 ? '…' : ''}${body}${to < text.length ? '…' : ''}`, o);
}

/** A single header or field value for evidence: unfolded, cut to a readable length, redacted. */
export function shortValue(value: string, o: RedactOptions, max = 200, phones = false): string {
  const v = value.replace(/\s+/g, ' ').trim();
  const cut = v.length > max ? `${v.slice(0, max)}…` : v;
  return phones ? redactText(cut, o) : redact(cut, o);
}
