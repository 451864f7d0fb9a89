import { createRequire } from 'node:module';
import { IOError } from '../errors.js';

/**
 * `--offline`: a guarantee, not a hint. Every way this process could open a connection (sockets,
 * DNS, fetch) is made to fail with OFFLINE_NETWORK_BLOCKED, so a code path that would need the
 * network is an error instead of a silent fetch.
 */
export function blockNetwork(): void {
  const require = createRequire(import.meta.url);
  const refuse = (what: string) => (): never => {
    throw new IOError('OFFLINE_NETWORK_BLOCKED', `--offline: refused to ${what}`);
  };
  const net = require('node:net') as typeof import('node:net');
  const dns = require('node:dns') as typeof import('node:dns');
  net.Socket.prototype.connect = refuse('open a network connection');
  dns.lookup = refuse('resolve a host name') as unknown as typeof dns.lookup;
  dns.promises.lookup = refuse('resolve a host name');
  globalThis.fetch = () => Promise.reject(new IOError('OFFLINE_NETWORK_BLOCKED', '--offline: refused to fetch'));
}
