import ipaddr from 'ipaddr.js';
import { DialError, directDialer, type Dialer } from '../core/dialer.js';

/** Where the lab's servers really listen: every mapped address/port is a port on this loopback host. */
const LAB_LOOPBACK_HOST = '127.0.0.1';

/** One spelling per address, so `::1` finds an entry written as `0:0::1` and names ignore case and a root dot. */
function canonicalHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (ipaddr.isValid(bare)) {
    const ip = ipaddr.parse(bare);
    return ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
  }
  return bare.toLowerCase().replace(/\.$/, '');
}

function lookup(map: ReadonlyMap<string, ReadonlyMap<number, number>>, host: string, port: number) {
  const direct = map.get(host)?.get(port);
  if (direct !== undefined) return direct;
  const wanted = canonicalHost(host);
  // The map stays the caller's: entries added after the dialer was made are still found.
  for (const [key, ports] of map) {
    if (canonicalHost(key) === wanted) return ports.get(port);
  }
  return undefined;
}

/**
 * A Dialer for the lab: `connect(address, port)` reaches 127.0.0.1:<mapped port>, so an MX address
 * on port 25 (or an mta-sts host address on 443) lands on a lab server without root or extra
 * interfaces. An address/port that is not mapped is refused at once, as a closed port would be,
 * without touching the network.
 * @example labDialer(new Map([['127.0.0.10', new Map([[25, smtp.ports.get('127.0.0.10')!]])]]))
 */
export function labDialer(map: ReadonlyMap<string, ReadonlyMap<number, number>>): Dialer {
  return {
    connect(host, port, options) {
      if (options.signal?.aborted) return Promise.reject(new DialError('aborted', 'connection aborted'));
      const target = lookup(map, host, port);
      if (target === undefined) {
        return Promise.reject(new DialError('refused', `connect to port ${port} failed: ECONNREFUSED (lab)`));
      }
      return directDialer.connect(LAB_LOOPBACK_HOST, target, options);
    },
  };
}
