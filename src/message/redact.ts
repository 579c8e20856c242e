import { parseIp, isInternalIp } from './internal.js';

/** Evidence excerpts are cut here: enough to recognise the header, short enough to scan. */
export const EXCERPT_MAX_CHARS = 200;

/**
 * Makes a header excerpt safe to put in a report: e-mail local parts become `***`, public
 * (personal) addresses lose their host part, the given user names are hidden; internal addresses
 * and names stay, since they are what the administrator must see.
 */
export function redactExcerpt(text: string, users: readonly string[] = []): string {
  let t = text
    .replace(/\s+/g, ' ')
    .replace(/[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g, '***@$1');
  for (const u of users) if (u.length >= 2) t = t.split(u).join('***');
  t = t.replace(/(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.]*\w)/g, (ip) => maskIp(ip));
  t = t.replace(/(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi, (ip) =>
    ip.includes(':') ? maskIp(ip) : ip,
  );
  return t.length > EXCERPT_MAX_CHARS ? `${t.slice(0, EXCERPT_MAX_CHARS)}…` : t;
}

/** A public address with its host part hidden (203.0.113.x, 2001:db8:1::x); internal ones unchanged. */
export function maskIp(ip: string): string {
  const parsed = parseIp(ip);
  if (!parsed || isInternalIp(ip)) return ip;
  if (parsed.kind() === 'ipv4') return `${parsed.toString().split('.').slice(0, 3).join('.')}.x`;
  const parts = parsed.toNormalizedString().split(':');
  return `${parts
    .slice(0, 3)
    .map((p) => p.replace(/^0+(?=.)/, ''))
    .join(':')}::x`;
}
