import { connect, type Socket } from 'node:net';
import {
  FrameDecoder,
  encodeConnect,
  encodeCstrings,
  encodeOptNeg,
  encodePacket,
  parseIndexedHeader,
  parseOptNeg,
  cstrings,
  type ConnectInfo,
  type OptNeg,
  type Packet,
} from './codec.js';
import type { HeaderEdit } from './header-diff.js';
import { Cmd, MILTER_VERSION, NO_REPLY_FLAG, Reply } from './protocol.js';
import type { ListenSpec } from './server.js';

/** Every action and protocol flag Postfix 3.x offers a milter, so tests see what Postfix would get. */
export const POSTFIX_OFFER: OptNeg = {
  version: MILTER_VERSION,
  actions: 0x1ff,
  protocol: 0x1fffff,
};

/** One message as an MTA hands it to a milter. Field values are raw (after the colon, no line end). */
export interface ClientMessage {
  connect?: ConnectInfo;
  /** Macros sent before MAIL FROM (e.g. `{auth_authen}`). */
  mailMacros?: Record<string, string>;
  sender?: string;
  recipients?: string[];
  headers: Array<{ name: string; value: string }>;
}

/** What the milter answered for one message. */
export interface ClientResult {
  /** Final reply: 'accept', 'continue', 'tempfail', 'reject', 'discard' or the raw code. */
  action: string;
  edits: HeaderEdit[];
}

const FINAL: Record<number, string> = {
  [Reply.ACCEPT]: 'accept',
  [Reply.CONTINUE]: 'continue',
  [Reply.TEMPFAIL]: 'tempfail',
  [Reply.REJECT]: 'reject',
  [Reply.DISCARD]: 'discard',
};

/**
 * The MTA side of the milter protocol, as Postfix speaks it: option negotiation, then per message
 * macros, MAIL, RCPT, headers, end of headers and end of message, waiting for a reply only where
 * the negotiated options require one. Used by the tests and the benchmark.
 */
export class MilterClient {
  private readonly decoder = new FrameDecoder();
  private readonly packets: Packet[] = [];
  private waiter: ((p: Packet | undefined) => void) | undefined;
  private ended = false;
  /** Options the milter agreed to. */
  negotiated: OptNeg = { version: 0, actions: 0, protocol: 0 };

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const p of this.decoder.push(chunk)) this.deliver(p);
    });
    const end = () => {
      this.ended = true;
      this.deliver(undefined);
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Connects and negotiates options. */
  static async open(spec: ListenSpec, offer: OptNeg = POSTFIX_OFFER): Promise<MilterClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = spec.kind === 'unix' ? connect(spec.path) : connect(spec.port, spec.host);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const c = new MilterClient(socket);
    socket.write(encodeOptNeg(offer, Cmd.OPTNEG));
    const reply = await c.next();
    if (!reply || reply.cmd !== Reply.OPTNEG) throw new Error('milter did not answer option negotiation');
    c.negotiated = parseOptNeg(reply.data);
    return c;
  }

  private deliver(p: Packet | undefined): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(p);
    } else if (p) this.packets.push(p);
  }

  /** The next packet from the milter, or undefined once the connection is gone. */
  next(): Promise<Packet | undefined> {
    const p = this.packets.shift();
    if (p) return Promise.resolve(p);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Writes raw bytes (hostile-input tests). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private needsReply(cmd: number): boolean {
    const flag = NO_REPLY_FLAG[cmd];
    return flag !== undefined && (this.negotiated.protocol & flag) === 0;
  }

  private async step(cmd: number, payload?: Buffer): Promise<string | undefined> {
    this.socket.write(encodePacket(cmd, payload));
    if (!this.needsReply(cmd)) return undefined;
    const r = await this.next();
    if (!r) throw new Error('milter closed the connection');
    return r.cmd === Reply.CONTINUE ? undefined : (FINAL[r.cmd] ?? String.fromCharCode(r.cmd));
  }

  private macroPacket(stage: number, m: Record<string, string>): Buffer {
    const pairs = Object.entries(m).flatMap(([k, v]) => [k, v]);
    return encodePacket(Cmd.MACRO, Buffer.concat([Buffer.from([stage]), encodeCstrings(pairs)]));
  }

  private macros(stage: number, m: Record<string, string>): void {
    this.socket.write(this.macroPacket(stage, m));
  }

  /** Sends the session's connect step (once per connection, as Postfix does). */
  async connectInfo(info: ConnectInfo, macros: Record<string, string> = {}): Promise<string | undefined> {
    this.macros(Cmd.CONNECT, macros);
    return this.step(Cmd.CONNECT, encodeConnect(info));
  }

  /** Sends one message and collects the header edits and the final answer. */
  async send(m: ClientMessage): Promise<ClientResult> {
    if (m.connect) {
      const early = await this.connectInfo(m.connect);
      if (early) return { action: early, edits: [] };
    }
    const macros = this.macroPacket(Cmd.MAIL, m.mailMacros ?? {});
    const steps: Array<[number, Buffer | undefined]> = [[Cmd.MAIL, encodeCstrings([`<${m.sender ?? ''}>`])]];
    for (const r of m.recipients ?? []) steps.push([Cmd.RCPT, encodeCstrings([`<${r}>`])]);
    for (const h of m.headers) steps.push([Cmd.HEADER, encodeCstrings([h.name, h.value])]);
    steps.push([Cmd.EOH, undefined]);
    // With every reply waived, the whole message goes out in one write, as Postfix pipelines it.
    if (steps.every(([cmd]) => !this.needsReply(cmd))) {
      this.socket.write(
        Buffer.concat([macros, ...steps.map(([c, p]) => encodePacket(c, p)), encodePacket(Cmd.BODYEOB)]),
      );
    } else {
      this.socket.write(macros);
      for (const [cmd, payload] of steps) {
        const early = await this.step(cmd, payload);
        if (early) return { action: early, edits: [] };
      }
      this.socket.write(encodePacket(Cmd.BODYEOB));
    }
    return this.collect();
  }

  /** Reads edits until the final answer of a message. */
  async collect(): Promise<ClientResult> {
    const edits: HeaderEdit[] = [];
    for (;;) {
      const r = await this.next();
      if (!r) throw new Error('milter closed the connection');
      if (r.cmd === Reply.CHGHEADER) {
        const h = parseIndexedHeader(r.data);
        edits.push(
          h.value === ''
            ? { kind: 'delete', name: h.name, index: h.index }
            : { kind: 'change', name: h.name, index: h.index, value: h.value },
        );
      } else if (r.cmd === Reply.INSHEADER) {
        const h = parseIndexedHeader(r.data);
        edits.push({ kind: 'insert-top', name: h.name, value: h.value });
      } else if (r.cmd === Reply.ADDHEADER) {
        const [name = '', value = ''] = cstrings(r.data, 'add header');
        edits.push({ kind: 'add', name, value });
      } else if (r.cmd !== Reply.PROGRESS) {
        return { action: FINAL[r.cmd] ?? String.fromCharCode(r.cmd), edits };
      }
    }
  }

  /** Ends a message early (the SMTP client went away), as the MTA does with SMFIC_ABORT. */
  abort(): void {
    this.socket.write(encodePacket(Cmd.ABORT));
  }

  /** Sends QUIT and closes. */
  async close(): Promise<void> {
    if (!this.ended && !this.socket.destroyed) this.socket.end(encodePacket(Cmd.QUIT));
    if (this.ended) return;
    await new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
  }

  /** Drops the connection without QUIT. */
  destroy(): void {
    this.socket.destroy();
  }
}
