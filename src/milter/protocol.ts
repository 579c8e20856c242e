/**
 * Sendmail/Postfix milter protocol version 6 constants (libmilter mfdef.h), named as there so they
 * can be checked against the reference.
 */

/** The protocol version this server speaks; older MTAs (2..5) are answered with their own version. */
export const MILTER_VERSION = 6;
/** Oldest version we accept: version 2 introduced the option negotiation layout used here. */
export const MILTER_MIN_VERSION = 2;

/** Commands from the MTA (SMFIC_*). */
export const Cmd = {
  ABORT: 0x41, // 'A'
  BODY: 0x42, // 'B'
  CONNECT: 0x43, // 'C'
  MACRO: 0x44, // 'D'
  BODYEOB: 0x45, // 'E'
  HELO: 0x48, // 'H'
  QUIT_NC: 0x4b, // 'K'
  HEADER: 0x4c, // 'L'
  MAIL: 0x4d, // 'M'
  EOH: 0x4e, // 'N'
  OPTNEG: 0x4f, // 'O'
  QUIT: 0x51, // 'Q'
  RCPT: 0x52, // 'R'
  DATA: 0x54, // 'T'
  UNKNOWN: 0x55, // 'U'
} as const;

/** Replies to the MTA (SMFIR_*). */
export const Reply = {
  ADDRCPT: 0x2b, // '+'
  DELRCPT: 0x2d, // '-'
  ACCEPT: 0x61, // 'a'
  REPLBODY: 0x62, // 'b'
  CONTINUE: 0x63, // 'c'
  DISCARD: 0x64, // 'd'
  ADDHEADER: 0x68, // 'h'
  INSHEADER: 0x69, // 'i'
  CHGHEADER: 0x6d, // 'm'
  PROGRESS: 0x70, // 'p'
  REJECT: 0x72, // 'r'
  TEMPFAIL: 0x74, // 't'
  OPTNEG: 0x4f, // 'O'
} as const;

/** Actions the milter may take (SMFIF_*). */
export const Action = {
  ADDHDRS: 0x01,
  CHGBODY: 0x02,
  ADDRCPT: 0x04,
  DELRCPT: 0x08,
  CHGHDRS: 0x10,
  QUARANTINE: 0x20,
  CHGFROM: 0x40,
  ADDRCPT_PAR: 0x80,
  SETSYMLIST: 0x100,
} as const;

/** Protocol steps the milter can skip or not answer (SMFIP_*). */
export const Proto = {
  NOCONNECT: 0x01,
  NOHELO: 0x02,
  NOMAIL: 0x04,
  NORCPT: 0x08,
  NOBODY: 0x10,
  NOHDRS: 0x20,
  NOEOH: 0x40,
  NR_HDR: 0x80,
  NOUNKNOWN: 0x100,
  NODATA: 0x200,
  SKIP: 0x400,
  RCPT_REJ: 0x800,
  NR_CONN: 0x1000,
  NR_HELO: 0x2000,
  NR_MAIL: 0x4000,
  NR_RCPT: 0x8000,
  NR_DATA: 0x10000,
  NR_UNKN: 0x20000,
  NR_EOH: 0x40000,
  NR_BODY: 0x80000,
  HDR_LEADSPC: 0x100000,
} as const;

/** Header edits are all this milter ever does. */
export const WANTED_ACTIONS = Action.ADDHDRS | Action.CHGHDRS;

/**
 * Steps we ask the MTA to skip (only headers, the client and the sender's macros matter) and steps we
 * ask it not to wait for, so a message costs one round trip (end of message) when the MTA allows it.
 */
export const WANTED_PROTOCOL =
  Proto.NOHELO |
  Proto.NORCPT |
  Proto.NOBODY |
  Proto.NOUNKNOWN |
  Proto.NODATA |
  Proto.NR_CONN |
  Proto.NR_MAIL |
  Proto.NR_HDR |
  Proto.NR_EOH |
  Proto.HDR_LEADSPC;

/** For each command that normally gets a reply, the flag that waives it. */
export const NO_REPLY_FLAG: Readonly<Record<number, number>> = {
  [Cmd.CONNECT]: Proto.NR_CONN,
  [Cmd.HELO]: Proto.NR_HELO,
  [Cmd.MAIL]: Proto.NR_MAIL,
  [Cmd.RCPT]: Proto.NR_RCPT,
  [Cmd.DATA]: Proto.NR_DATA,
  [Cmd.UNKNOWN]: Proto.NR_UNKN,
  [Cmd.HEADER]: Proto.NR_HDR,
  [Cmd.EOH]: Proto.NR_EOH,
  [Cmd.BODY]: Proto.NR_BODY,
};

/** A printable name for a command byte, for logs (never the payload). */
export function commandName(code: number): string {
  for (const [name, value] of Object.entries(Cmd)) if (value === code) return name;
  return `0x${code.toString(16).padStart(2, '0')}`;
}
