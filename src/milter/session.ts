import { describeError } from '../core/errors.js';
import { MILTER_MAX_HEADER_BYTES, MILTER_MAX_HEADER_FIELDS, MILTER_MAX_MACROS } from '../core/limits.js';
import type { HeaderField } from '../message/header-fields.js';
import {
  MilterProtocolError,
  encodeIndexedHeader,
  encodeOptNeg,
  encodePacket,
  encodeCstrings,
  parseConnect,
  parseHeader,
  parseMacros,
  parseOptNeg,
  type Packet,
} from './codec.js';
import { diffHeaders, type HeaderEdit } from './header-diff.js';
import {
  Action,
  Cmd,
  MILTER_MIN_VERSION,
  MILTER_VERSION,
  NO_REPLY_FLAG,
  Proto,
  Reply,
  WANTED_ACTIONS,
  WANTED_PROTOCOL,
  commandName,
} from './protocol.js';

/** What the milter knows about the SMTP session a message came from. */
export interface MilterContext {
  /** The SMTP client's IP address (connect data, else the `{client_addr}` macro). */
  clientAddress?: string;
  /** The client's host name as the MTA resolved it (`[addr]` when unresolved). */
  clientName?: string;
  /** The SASL login name (`{auth_authen}`), when the client authenticated. */
  authenticatedUser?: string;
  /** Any macro the MTA sent, by name without braces (`client_addr`, `i`, `j`, ...). */
  macro(name: string): string | undefined;
}

/**
 * Rewrites a message header. Fields are in wire form as src/message parses them: `value` is
 * everything after the colon, folding kept as CRLF, ending in CRLF. Returns the header as it should be.
 */
export type HeaderRewriter = (
  fields: HeaderField[],
  ctx: MilterContext,
) => HeaderField[] | Promise<HeaderField[]>;

/** What to answer when the milter itself fails on a message: let it through unchanged, or 4xx. */
export type OnError = 'accept' | 'tempfail';

/** Counters shared by every session of a server. */
export interface MilterStats {
  connections: number;
  active: number;
  messages: number;
  /** Messages whose header was edited. */
  rewritten: number;
  /** Messages answered with the on-error action (rewriter failure, limits). */
  failed: number;
  /** Connections closed because of a malformed packet or an unknown command. */
  protocolErrors: number;
}

/** Emitted per finished message (no header content: it may hold personal data). */
export interface MessageOutcome {
  action: 'accept' | 'tempfail';
  edits: number;
  reason?: string;
}

export interface SessionOptions {
  rewrite: HeaderRewriter;
  onError: OnError;
  stats: MilterStats;
  onMessage?: (o: MessageOutcome) => void;
}

const CRLF_FOLD = /\r?\n/g;

function stripBraces(name: string): string {
  return name.startsWith('{') && name.endsWith('}') ? name.slice(1, -1) : name;
}

/**
 * One MTA connection's protocol state. `handle` takes decoded packets in order and returns the bytes
 * to send back (possibly none). It throws MilterProtocolError for packets that break the protocol;
 * failures of the rewriter become the configured on-error reply instead.
 */
export class MilterSession {
  private negotiated = false;
  private actions = 0;
  private protocol = 0;
  private macros = new Map<number, Map<string, string>>();
  private client: { address?: string; name?: string } = {};
  private fields: HeaderField[] = [];
  private headerBytes = 0;
  private overflow: string | undefined;

  constructor(private readonly o: SessionOptions) {}

  /** Whether the MTA expects an answer to this command under the negotiated options. */
  expectsReply(cmd: number): boolean {
    if (cmd === Cmd.OPTNEG || cmd === Cmd.BODYEOB) return true;
    const flag = NO_REPLY_FLAG[cmd];
    return flag !== undefined && (this.protocol & flag) === 0;
  }

  /** The reply code of the on-error action. */
  get errorReply(): Buffer {
    return encodePacket(this.o.onError === 'accept' ? Reply.ACCEPT : Reply.TEMPFAIL);
  }

  handle(p: Packet): Buffer[] | Promise<Buffer[]> | 'quit' {
    if (!this.negotiated && p.cmd !== Cmd.OPTNEG && p.cmd !== Cmd.MACRO && p.cmd !== Cmd.ABORT) {
      if (p.cmd === Cmd.QUIT) return 'quit';
      throw new MilterProtocolError(`${commandName(p.cmd)} before option negotiation`);
    }
    switch (p.cmd) {
      case Cmd.OPTNEG:
        return [this.negotiate(p.data)];
      case Cmd.MACRO: {
        const { stage, macros } = parseMacros(p.data);
        let m = this.macros.get(stage);
        if (!m) this.macros.set(stage, (m = new Map()));
        for (const [name, value] of macros) m.set(stripBraces(name), value);
        let held = 0;
        for (const stageMacros of this.macros.values()) held += stageMacros.size;
        if (held > MILTER_MAX_MACROS) throw new MilterProtocolError(`more than ${MILTER_MAX_MACROS} macros`);
        return [];
      }
      case Cmd.CONNECT: {
        const c = parseConnect(p.data);
        // The connect macros arrive just before this packet: keep them, drop everything older.
        const connectMacros = this.macros.get(Cmd.CONNECT);
        this.resetConnection();
        if (connectMacros) this.macros.set(Cmd.CONNECT, connectMacros);
        this.client = { name: c.hostname };
        if (c.family === '4' || c.family === '6') this.client.address = c.address;
        return this.continueIfAsked(p.cmd);
      }
      case Cmd.HELO:
      case Cmd.RCPT:
      case Cmd.DATA:
      case Cmd.UNKNOWN:
      case Cmd.BODY:
        return this.continueIfAsked(p.cmd);
      case Cmd.MAIL:
        // Not resetMessage(): the sender's macros (with {auth_authen}) came just before this packet.
        this.clearFields();
        return this.continueIfAsked(p.cmd);
      case Cmd.HEADER:
        this.addHeader(p.data);
        return this.continueIfAsked(p.cmd);
      case Cmd.EOH:
        return this.continueIfAsked(p.cmd);
      case Cmd.BODYEOB:
        return this.endOfMessage();
      case Cmd.ABORT:
        this.resetMessage();
        return [];
      case Cmd.QUIT_NC:
        this.resetConnection();
        return [];
      case Cmd.QUIT:
        return 'quit';
      default:
        throw new MilterProtocolError(`unknown milter command ${commandName(p.cmd)}`);
    }
  }

  private negotiate(data: Buffer): Buffer {
    const mta = parseOptNeg(data);
    if (mta.version < MILTER_MIN_VERSION) {
      throw new MilterProtocolError(`milter protocol version ${mta.version} is too old`);
    }
    this.negotiated = true;
    this.actions = mta.actions & WANTED_ACTIONS;
    this.protocol = mta.protocol & WANTED_PROTOCOL;
    this.resetConnection();
    return encodeOptNeg({
      version: Math.min(mta.version, MILTER_VERSION),
      actions: this.actions,
      protocol: this.protocol,
    });
  }

  private continueIfAsked(cmd: number): Buffer[] {
    return this.expectsReply(cmd) ? [encodePacket(Reply.CONTINUE)] : [];
  }

  private addHeader(data: Buffer): void {
    if (this.overflow) return;
    const { name, value } = parseHeader(data);
    this.headerBytes += data.length;
    if (this.fields.length >= MILTER_MAX_HEADER_FIELDS) this.overflow = 'too many header fields';
    else if (this.headerBytes > MILTER_MAX_HEADER_BYTES) this.overflow = 'header too large';
    else this.fields.push({ name, value: this.fromWire(value) });
  }

  /** Milter wire value (LF folding, maybe without the leading space) to src/message wire form. */
  private fromWire(value: string): string {
    const v = (this.protocol & Proto.HDR_LEADSPC) !== 0 ? value : ` ${value}`;
    return `${v.replace(CRLF_FOLD, '\r\n')}\r\n`;
  }

  /** src/message wire form back to what the MTA expects: LF folding, no final line end. */
  private toWire(value: string): string {
    let v = value.replace(/\r?\n$/, '').replace(CRLF_FOLD, '\n');
    if ((this.protocol & Proto.HDR_LEADSPC) === 0) v = v.replace(/^[ \t]/, '');
    // An empty value would delete the field: keep a kept field present.
    return v === '' ? ' ' : v;
  }

  private context(): MilterContext {
    // A snapshot: the message's macros are cleared once it is answered, and a rewriter may keep ctx.
    const all = new Map<string, string>();
    for (const m of this.macros.values()) for (const [k, v] of m) all.set(k, v);
    const lookup = (name: string): string | undefined => all.get(stripBraces(name));
    const auth = lookup('auth_authen');
    return {
      clientAddress: this.client.address ?? lookup('client_addr'),
      clientName: this.client.name ?? lookup('client_name'),
      authenticatedUser: auth === '' ? undefined : auth,
      macro: lookup,
    };
  }

  private endOfMessage(): Buffer[] | Promise<Buffer[]> {
    this.o.stats.messages++;
    if (this.overflow) return this.fail(this.overflow);
    const before = this.fields;
    const ctx = this.context();
    let result: HeaderField[] | Promise<HeaderField[]>;
    try {
      result = this.o.rewrite(
        before.map((f) => ({ ...f })),
        ctx,
      );
    } catch (err) {
      return this.fail('rewriter failed', err);
    }
    if (result instanceof Promise) {
      return result.then(
        (after) => this.finish(before, after),
        (err: unknown) => this.fail('rewriter failed', err),
      );
    }
    return this.finish(before, result);
  }

  private finish(before: HeaderField[], after: HeaderField[]): Buffer[] {
    let edits: HeaderEdit[];
    try {
      edits = diffHeaders(before, after);
    } catch (err) {
      return this.fail('header comparison failed', err);
    }
    const needs = edits.reduce(
      (acc, e) => acc | (e.kind === 'change' || e.kind === 'delete' ? Action.CHGHDRS : Action.ADDHDRS),
      0,
    );
    if ((needs & this.actions) !== needs) return this.fail('the MTA does not allow these header edits');
    const out = edits.map((e) => this.encodeEdit(e));
    out.push(encodePacket(Reply.ACCEPT));
    if (edits.length > 0) this.o.stats.rewritten++;
    this.o.onMessage?.({ action: 'accept', edits: edits.length });
    this.resetMessage();
    return out;
  }

  private encodeEdit(e: HeaderEdit): Buffer {
    switch (e.kind) {
      case 'delete':
        return encodeIndexedHeader(Reply.CHGHEADER, e.index, e.name, '');
      case 'change':
        return encodeIndexedHeader(Reply.CHGHEADER, e.index, e.name, this.toWire(e.value));
      case 'insert-top':
        return encodeIndexedHeader(Reply.INSHEADER, 0, e.name, this.toWire(e.value));
      case 'add':
        return encodePacket(Reply.ADDHEADER, encodeCstrings([e.name, this.toWire(e.value)]));
    }
  }

  private fail(reason: string, err?: unknown): Buffer[] {
    this.o.stats.failed++;
    const detail = err === undefined ? reason : `${reason}: ${describeError(err)}`;
    this.o.onMessage?.({ action: this.o.onError, edits: 0, reason: detail });
    this.resetMessage();
    return [this.errorReply];
  }

  private clearFields(): void {
    this.fields = [];
    this.headerBytes = 0;
    this.overflow = undefined;
  }

  private resetMessage(): void {
    this.clearFields();
    for (const stage of [Cmd.MAIL, Cmd.RCPT, Cmd.DATA, Cmd.HEADER, Cmd.EOH, Cmd.BODY, Cmd.BODYEOB]) {
      this.macros.delete(stage);
    }
  }

  private resetConnection(): void {
    this.resetMessage();
    this.macros.clear();
    this.client = {};
  }
}
