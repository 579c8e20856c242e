import { describe, expect, it } from 'vitest';
import { directDialer } from '../core/dialer.js';
import { createLabCa } from '../lab/ca.js';
import { leftoverHandles, openHandles } from '../../test/unit/support/open-handles.js';
import { closedPort, startPeer, type PeerScript } from '../../test/unit/support/smtp-peer.js';
import { probeSmtp } from './probe.js';

const FAST = { connect: 1_000, banner: 300, command: 1_000, tls: 300, quit: 200 };

describe('probeSmtp resource hygiene', () => {
  it('leaves no socket or timer open after hostile and broken peers', async () => {
    const before = openHandles();
    expect(before.filter((h) => h !== 'Timeout')).toEqual([]);
    const ca = await createLabCa();
    const cert = await ca.issue({ names: ['mx.test'] });
    const tls = { key: cert.keyPem, cert: cert.chainPem };
    const scripts: PeerScript[] = [
      { tls },
      { banner: 'stall' },
      { banner: ['220-peer.test'] },
      { banner: Buffer.concat([Buffer.from('220-'), Buffer.alloc(10 * 1024 * 1024, 0x78)]) },
      { banner: Buffer.from([0x00, 0xff, 0x1b, 0x0d, 0x0a]) },
      { banner: ['421 4.7.0 Try again later'] },
      { banner: ['554 5.7.1 Go away'], replies: { QUIT: 'stall' } },
      { extensions: ['STARTTLS'], replies: { STARTTLS: ['454 4.7.0 TLS not available'] } },
      { extensions: ['STARTTLS'], replies: { STARTTLS: 'starttls-then-close' } },
      { extensions: ['STARTTLS'], replies: { STARTTLS: 'starttls-then-stall' } },
      { tls: { ...tls, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } },
      { tls, replies: { VRFY: 'stall' } },
      { tls, replies: { QUIT: 'close' } },
      { replies: { EHLO: ['250 peer.test', '250 junk'] } },
    ];
    const peers = await Promise.all(scripts.map((s) => startPeer(s)));
    const refused = await closedPort();
    const ac = new AbortController();
    const aborted = startPeer({ banner: 'stall' });
    const abortedPeer = await aborted;
    setTimeout(() => ac.abort(), 20);

    const results = await Promise.all([
      ...peers.map((p) =>
        probeSmtp(
          { host: 'mx.test', address: '127.0.0.1', port: p.port },
          {
            dialer: directDialer,
            timeouts: FAST,
            ca: [ca.certPem],
            relay: { from: 'a@b.test', to: 'c@d.test' },
          },
        ),
      ),
      probeSmtp(
        { host: 'mx.test', address: '127.0.0.1', port: refused },
        { dialer: directDialer, timeouts: FAST },
      ),
      probeSmtp(
        { host: 'mx.test', address: '127.0.0.1', port: abortedPeer.port },
        { dialer: directDialer, timeouts: { ...FAST, banner: 10_000 }, signal: ac.signal },
      ),
    ]);
    // Peers still listening: only their listening sockets may remain, so a client socket left
    // open (or a server socket the client never hung up on) shows here.
    const listening = [...before, ...Array.from({ length: peers.length + 1 }, () => 'TCPServerWrap')];
    expect(await leftoverHandles(listening)).toEqual([]);
    await Promise.all([...peers, abortedPeer].map((p) => p.close()));

    // Each probe ended on its own terms: one clean session, the rest with a recorded error.
    expect(results[0]?.error).toBeUndefined();
    expect(results.slice(1).every((r) => r.error !== undefined)).toBe(true);
    expect(await leftoverHandles(before)).toEqual([]);
  });
});
