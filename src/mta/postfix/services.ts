import type { MasterService } from './types.js';

/** What a smtpd service is for, from its name (and port) in master.cf. */
export type SmtpdRole = 'mx' | 'submission' | 'submissions' | 'internal';

const PORTS: Record<string, number> = { smtp: 25, submission: 587, submissions: 465, smtps: 465 };

/** Port of an inet service: `smtp` → 25, `127.0.0.1:10025` → 10025; undefined for unknown names. */
export function servicePort(s: MasterService): number | undefined {
  const port = s.name.includes(':') ? s.name.slice(s.name.lastIndexOf(':') + 1) : s.name;
  if (/^\d+$/.test(port)) return Number(port);
  return PORTS[port];
}

function loopbackOnly(s: MasterService): boolean {
  if (!s.name.includes(':')) return false;
  const host = s.name.slice(0, s.name.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return /^(127\.|::1$|localhost$)/.test(host);
}

/** Role of a smtpd service; `pass` services sit behind postscreen on port 25. */
export function smtpdRole(s: MasterService): SmtpdRole {
  if (s.type === 'pass') return 'mx';
  if (loopbackOnly(s)) return 'internal';
  const port = servicePort(s);
  if (port === 25) return 'mx';
  if (port === 587) return 'submission';
  if (port === 465) return 'submissions';
  return 'internal';
}

/** smtpd services that take mail from the network (inet, or pass behind postscreen). */
export function smtpdServices(services: readonly MasterService[]): MasterService[] {
  return services.filter((s) => s.command === 'smtpd' && (s.type === 'inet' || s.type === 'pass'));
}

/** smtp client services (the `smtp` and `relay` transports and any custom ones). */
export function smtpClientServices(services: readonly MasterService[]): MasterService[] {
  return services.filter((s) => s.command === 'smtp' && s.type === 'unix');
}
