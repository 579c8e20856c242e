/**
 * Dialogue steps shared by the main probe and the short legacy-TLS connections.
 */
import { hostname } from 'node:os';
import type { EhloReply } from './types.js';
import { PhaseError, type SmtpReply, type SmtpSession } from './session.js';

/** Per-phase time limits, ms. */
export interface ProbeTimeouts {
  connect: number;
  banner: number;
  command: number;
  tls: number;
  quit: number;
}

const SHOWN_TEXT = 120;

/** `421 4.7.0 Try again later`, shortened: the server's own words, safe for a finding. */
export function replySummary(r: SmtpReply): string {
  const text = r.lines[0] ?? '';
  return `${r.code} ${text.length > SHOWN_TEXT ? `${text.slice(0, SHOWN_TEXT)}...` : text}`.trim();
}

/** Reads the greeting and hands it to `keep` (evidence) before judging it. */
export async function readBanner(
  session: SmtpSession,
  t: ProbeTimeouts,
  keep: (banner: SmtpReply) => void = () => {},
): Promise<SmtpReply> {
  const banner = await session.reply('banner', t.banner);
  keep(banner);
  if (banner.code !== 220) {
    const kind = banner.code < 500 ? 'temporarily refused (greylisting, tarpit or overload)' : 'refused';
    await tryQuit(session, t);
    throw new PhaseError('banner', `connection ${kind}: ${replySummary(banner)}`);
  }
  return banner;
}

/** EHLO, falling back to HELO when the server does not know EHLO (RFC 5321 §3.2). */
export async function sayEhlo(
  session: SmtpSession,
  heloName: string,
  t: ProbeTimeouts,
  what = 'EHLO',
): Promise<EhloReply> {
  const r = await session.command('ehlo', `EHLO ${heloName}`, t.command);
  if (r.code === 250) return { code: r.code, lines: r.lines, extensions: extensions(r.lines) };
  if (r.code >= 500 && r.code !== 554) {
    const h = await session.command('ehlo', `HELO ${heloName}`, t.command);
    if (h.code === 250) return { code: h.code, lines: h.lines, extensions: [], helo: true };
    await tryQuit(session, t);
    throw new PhaseError('ehlo', `${what} and HELO rejected: ${replySummary(h)}`);
  }
  await tryQuit(session, t);
  throw new PhaseError('ehlo', `${what} rejected: ${replySummary(r)}`);
}

/** Keywords of an EHLO reply, upper-cased; the first line is the greeting, not an extension. */
export function extensions(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines.slice(1)) {
    const kw = /^[A-Za-z0-9][A-Za-z0-9-]*/.exec(line.trim())?.[0]?.toUpperCase();
    if (kw && !out.includes(kw)) out.push(kw);
  }
  return out;
}

/** QUIT without caring how it goes: used when the session ends early anyway. */
export async function tryQuit(session: SmtpSession, t: ProbeTimeouts): Promise<void> {
  try {
    await session.command('quit', 'QUIT', t.quit);
  } catch {
    // The session ends either way; the transcript already notes what happened.
  }
}

const HELO_NAME = /^(?:[A-Za-z0-9.-]{1,253}|\[(?:IPv6:)?[0-9A-Fa-f:.]{2,45}\])$/;

/** True for a domain name or address literal that can go on the EHLO line (no spaces, no CR/LF). */
export function isValidHeloName(name: string): boolean {
  return HELO_NAME.test(name);
}

/** The EHLO name: the caller's when it is well-formed, else this machine's host name. */
export function heloNameOrDefault(name?: string): string {
  if (name !== undefined && isValidHeloName(name)) return name;
  const h = hostname();
  return isValidHeloName(h) ? h : 'localhost';
}
