import { describe, expect, it } from 'vitest';
import { startLabAccess } from '../../lab/access-servers.js';
import { createLabCa } from '../../lab/ca.js';
import { labDialer } from '../../lab/dialer.js';
import { startLinePeer, type LinePeerScript } from '../../../test/unit/support/access-peer.js';
import { leftoverHandles, openHandles } from '../../../test/unit/support/open-handles.js';
import { probeAccessHost, probeAccessPort } from './probe.js';
import type { AccessPort } from './types.js';

const FAST = { connect: 1_000, banner: 300, command: 1_000, tls: 300, quit: 200 };

const imap = (line: string): string[] => {
  const [tag, verb] = line.split(' ');
  if (verb === 'CAPABILITY') return ['* CAPABILITY IMAP4rev1 STARTTLS', `${tag} OK done`];
  return [`${tag} OK done`];
};

describe('access probe resource hygiene', () => {
  it('leaves no socket or timer open after hostile, broken and well-run peers', async () => {
    const before = openHandles();
    expect(before.filter((h) => h !== 'Timeout')).toEqual([]);
    const ca = await createLabCa();
    const cert = await ca.issue({ names: ['mail.test'] });
    const tls = { key: cert.keyPem, cert: cert.chainPem };
    const scripts: [AccessPort, LinePeerScript][] = [
      [993, { implicitTls: tls, greeting: ['* OK ready'], answer: imap }],
      [143, { greeting: 'stall', answer: () => 'stall' }],
      [993, { greeting: 'stall', answer: () => 'stall' }],
      [995, { implicitTls: tls, greeting: 'stall', answer: () => 'stall' }],
      [
        110,
        {
          greeting: Buffer.concat([Buffer.from('+OK '), Buffer.alloc(10 * 1024 * 1024, 0x78)]),
          answer: () => 'stall',
        },
      ],
      [143, { greeting: Buffer.from([0x00, 0xff, 0x1b, 0x0d, 0x0a]), answer: () => 'stall' }],
      [143, { greeting: ['* BYE busy'], answer: () => 'stall' }],
      [143, { greeting: ['* OK ready'], answer: () => Array.from({ length: 300 }, () => '* junk') }],
      [
        143,
        {
          greeting: ['* OK ready'],
          answer: (l) => (l.includes('STARTTLS') ? { starttls: ['a OK go'], then: 'close' } : imap(l)),
        },
      ],
      [
        143,
        {
          greeting: ['* OK ready'],
          answer: (l) => (l.includes('STARTTLS') ? { starttls: ['a OK go'], then: 'stall' } : imap(l)),
        },
      ],
      // Goes quiet once TLS is up: the probe must time out inside TLS and still release everything.
      [
        110,
        {
          greeting: ['+OK ready'],
          answer: (l, secure) =>
            secure ? 'stall' : l === 'CAPA' ? ['+OK', 'STLS', '.'] : { starttls: ['+OK go'] },
          tls,
        },
      ],
      [465, { greeting: ['220 mail.test ESMTP'], answer: () => ['250 ok'] }],
      [
        465,
        {
          implicitTls: { ...tls, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
          greeting: ['220 x'],
          answer: () => ['250 ok'],
        },
      ],
      [
        587,
        {
          greeting: ['220 mail.test ESMTP'],
          answer: (l) => (l.startsWith('QUIT') ? 'close' : ['250-x', '250 STARTTLS']),
        },
      ],
    ];
    const peers = await Promise.all(scripts.map(([, s]) => startLinePeer(s)));
    const lab = await startLabAccess(
      [
        { address: '127.0.0.51', hostname: 'mail.test', profile: 'submission-good' },
        { address: '127.0.0.51', hostname: 'mail.test', profile: 'imap-good' },
        { address: '127.0.0.51', hostname: 'mail.test', profile: 'pop3-good' },
      ],
      ca,
    );
    const labListeners = [...lab.ports.values()].reduce((n, m) => n + m.size, 0);
    const aborted = await startLinePeer({ greeting: 'stall', answer: () => 'stall' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);

    const probe = (port: AccessPort, loopbackPort: number, signal?: AbortSignal) =>
      probeAccessPort(
        { host: 'mail.test', address: '127.0.0.1', port },
        {
          dialer: labDialer(new Map([['127.0.0.1', new Map([[port, loopbackPort]])]])),
          timeouts: signal ? { ...FAST, banner: 10_000 } : FAST,
          ca: [ca.certPem],
          ...(signal ? { signal } : {}),
        },
      );
    const [results, labResults] = await Promise.all([
      Promise.all([
        ...scripts.map(([port], i) => probe(port, peers[i]!.port)),
        probe(143, aborted.port, ac.signal),
        // Not mapped by the dialer: refused at once, as a closed port is.
        probeAccessPort(
          { host: 'mail.test', address: '127.0.0.9', port: 993 },
          { dialer: labDialer(new Map()) },
        ),
      ]),
      probeAccessHost(
        { host: 'mail.test', addresses: ['127.0.0.51'] },
        { dialer: labDialer(lab.ports), timeouts: FAST, ca: [ca.certPem] },
      ),
    ]);
    // Servers still listening: only their listening sockets may remain, so a client socket left
    // open (or a server socket the client never hung up on) shows here.
    const listening = [
      ...before,
      ...Array.from({ length: peers.length + 1 + labListeners }, () => 'TCPServerWrap'),
    ];
    expect(await leftoverHandles(listening)).toEqual([]);
    await Promise.all([...peers, aborted, lab].map((p) => p.close()));

    expect(results[0]?.error).toBeUndefined();
    expect(results.slice(1, scripts.length + 1).every((r) => r.error !== undefined)).toBe(true);
    expect(results.at(-1)?.connect.reason).toBe('refused');
    expect(labResults.every((r) => r.error === undefined && r.tls?.authorized)).toBe(true);
    expect(await leftoverHandles(before)).toEqual([]);
  });
});
