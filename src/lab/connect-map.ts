import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';

/** The JSON shape of a connect map: `{ "127.0.0.1": { "25": 40001, "443": 40002 } }`. */
export type ConnectMapJson = Record<string, Record<string, number>>;

export function connectMapToJson(routes: ReadonlyMap<string, ReadonlyMap<number, number>>): ConnectMapJson {
  const out: ConnectMapJson = {};
  for (const [address, ports] of routes)
    out[address] = Object.fromEntries([...ports].map(([p, to]) => [String(p), to]));
  return out;
}

/** Reads a connect map written by `mailcomply lab --export`; errors name the file and the entry. */
export function readConnectMap(path: string): Map<string, Map<number, number>> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why =
      err instanceof SyntaxError ? 'not valid JSON' : ((err as NodeJS.ErrnoException).code ?? 'cannot read');
    throw new UsageError(`--connect-map ${path}: ${why}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`--connect-map ${path}: expected an object of address -> { port: loopback port }`);
  }
  const map = new Map<string, Map<number, number>>();
  for (const [address, ports] of Object.entries(raw)) {
    if (typeof ports !== 'object' || ports === null)
      throw new UsageError(`--connect-map ${path}: entry ${address}`);
    const inner = new Map<number, number>();
    for (const [port, to] of Object.entries(ports as Record<string, unknown>)) {
      const p = Number(port);
      if (!Number.isInteger(p) || p < 1 || p > 65535 || typeof to !== 'number' || !Number.isInteger(to)) {
        throw new UsageError(`--connect-map ${path}: entry ${address} port ${port}`);
      }
      inner.set(p, to);
    }
    map.set(address, inner);
  }
  return map;
}
