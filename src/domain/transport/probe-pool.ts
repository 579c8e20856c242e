import type { Dialer } from '../../core/dialer.js';
import { probeAccessHost } from '../../smtp/access/probe.js';
import type { AccessPort, AccessProbeResult } from '../../smtp/access/types.js';
import { probeSmtp, type ProbeOptions } from '../../smtp/probe.js';
import type { SmtpProbeResult } from '../../smtp/types.js';

/** Connections opened at once to one IP address, so real servers are not hammered by a big scan. */
export const DEFAULT_PER_IP_CONNECTIONS = 2;

export interface ProbePoolOptions {
  dialer: Dialer;
  ca?: string[];
  perIp?: number;
  /** Open-relay test addresses; only set when the user asked for it. */
  relay?: { from: string; to: string };
  timeouts?: ProbeOptions['timeouts'];
  legacyTls?: boolean;
  heloName?: string;
}

/**
 * Runs SMTP probes for a whole scan: each (MX name, address) is probed once and the result reused by
 * every domain that shares the MX, and at most `perIp` probes talk to one address at a time.
 */
export class ProbePool {
  private readonly results = new Map<string, Promise<SmtpProbeResult>>();
  private readonly access = new Map<string, Promise<AccessProbeResult[]>>();
  private readonly gates = new Map<string, Gate>();
  readonly stats = { probes: 0, reused: 0 };

  constructor(private readonly o: ProbePoolOptions) {}

  /** The probe result for this MX host name at this address (port 25). Never rejects. */
  probe(host: string, address: string, signal: AbortSignal): Promise<SmtpProbeResult> {
    // The host name is part of the key: the certificate name check depends on it.
    const key = `${host}|${address}`;
    const known = this.results.get(key);
    if (known) {
      this.stats.reused++;
      return known;
    }
    this.stats.probes++;
    const gate = this.gateFor(address);
    const result = gate.run(() =>
      probeSmtp(
        { host, address },
        {
          dialer: this.o.dialer,
          signal,
          ...(this.o.ca ? { ca: this.o.ca } : {}),
          ...(this.o.relay ? { relay: this.o.relay } : {}),
          ...(this.o.timeouts ? { timeouts: this.o.timeouts } : {}),
          ...(this.o.legacyTls !== undefined ? { legacyTls: this.o.legacyTls } : {}),
          ...(this.o.heloName ? { heloName: this.o.heloName } : {}),
        },
      ),
    );
    this.results.set(key, result);
    // An aborted probe (domain deadline) must not be served to the next domain that shares the MX.
    void result.then((r) => {
      if (r.connect.reason === 'aborted' || r.error?.reason.includes('abort')) this.results.delete(key);
    });
    return result;
  }

  /** Submission/IMAP/POP3 probes of one host's addresses on the given ports, once per run. */
  probeAccess(
    host: string,
    addresses: readonly string[],
    ports: readonly AccessPort[],
    signal: AbortSignal,
  ): Promise<AccessProbeResult[]> {
    const key = `${host}|${addresses.join(',')}|${ports.join(',')}`;
    let result = this.access.get(key);
    if (!result) {
      result = probeAccessHost(
        { host, addresses },
        {
          dialer: this.o.dialer,
          signal,
          ports,
          perIp: this.o.perIp ?? DEFAULT_PER_IP_CONNECTIONS,
          ...(this.o.ca ? { ca: this.o.ca } : {}),
          ...(this.o.timeouts ? { timeouts: this.o.timeouts } : {}),
          ...(this.o.heloName ? { heloName: this.o.heloName } : {}),
        },
      );
      this.access.set(key, result);
    }
    return result;
  }

  private gateFor(address: string): Gate {
    let g = this.gates.get(address);
    if (!g) {
      g = new Gate(this.o.perIp ?? DEFAULT_PER_IP_CONNECTIONS);
      this.gates.set(address, g);
    }
    return g;
  }
}

/** A counting semaphore. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
