/**
 * The lab that the access probe tests run against: a lab CA, one well-run host and one faulty host
 * (submission, IMAP and POP3 each), and scripted peers, all started before a test file and closed
 * after it.
 */
import { afterAll, beforeAll } from 'vitest';
import { startLabAccess, type LabAccess } from '../../../src/lab/access-servers.js';
import { createLabCa, type LabCa } from '../../../src/lab/ca.js';
import { startLinePeer, type LinePeer, type LinePeerScript } from './access-peer.js';

/** What a test file reaches through `useAccessLab`; fields are ready once its tests run. */
export interface AccessLab {
  readonly ca: LabCa;
  /** The lab servers; `servers.ports` is what labDialer takes. */
  readonly servers: LabAccess;
  /** Starts a scripted peer that is closed with the lab. */
  peer(script: LinePeerScript): Promise<LinePeer>;
}

/** Where the two lab hosts listen, and the name their certificates carry. */
export interface AccessLabHosts {
  host: string;
  /** Address of the host that does everything right. */
  good: string;
  /** Address of the host that takes logins in clear and lacks implicit TLS. */
  weak: string;
}

/**
 * Registers beforeAll/afterAll hooks in the calling test file. The addresses are the caller's because
 * its assertions quote them (they only key the lab dialer's map: every server is on 127.0.0.1).
 */
export function useAccessLab({ host, good, weak }: AccessLabHosts): AccessLab {
  let ca: LabCa | undefined;
  let servers: LabAccess | undefined;
  const peers: LinePeer[] = [];

  beforeAll(async () => {
    ca = await createLabCa();
    servers = await startLabAccess(
      [
        { address: good, hostname: host, profile: 'submission-good' },
        { address: good, hostname: host, profile: 'imap-good' },
        { address: good, hostname: host, profile: 'pop3-good' },
        { address: weak, hostname: host, profile: 'submission-plain-auth' },
        { address: weak, hostname: host, profile: 'imap-plaintext' },
        { address: weak, hostname: host, profile: 'pop3-plaintext' },
      ],
      ca,
    );
  });
  afterAll(async () => {
    await Promise.all([servers?.close(), ...peers.map((p) => p.close())]);
  });

  return {
    get ca() {
      return ready(ca);
    },
    get servers() {
      return ready(servers);
    },
    async peer(script) {
      const p = await startLinePeer(script);
      peers.push(p);
      return p;
    },
  };
}

function ready<T>(value: T | undefined): T {
  // Only a test reading the lab at collection time, before beforeAll ran, gets here.
  if (value === undefined) throw new Error('the access lab is used before it started');
  return value;
}
