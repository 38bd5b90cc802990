import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { addressRefusal } from '../../webhooks/outgoing/deliverable-url';

/**
 * Loopback, private, link-local, unspecified, multicast or reserved, in any spelling: the one
 * address rule outgoing webhooks use too (a subscription's endpoint is a URL a client chose, and
 * the gateway POSTs to it from inside the cluster). Names are not addresses: false.
 */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) !== 0 && addressRefusal(bare) !== null;
}

/** A URL's host without IPv6 brackets, lower-cased (the WHATWG parser already turned `0x7f.1` into `127.0.0.1`). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/**
 * Why `endpoint` cannot be a push endpoint, or null when it can. Push services hand browsers
 * https URLs on public hosts; http and internal hosts are accepted only for hosts the operator
 * allowed (WEBHOOK_ALLOWED_HOSTS: an internal push service, or the tests' receiver). Names are
 * resolved again when connecting (see `publicOnlyLookup`), since a public name may point inside.
 */
export function endpointProblem(endpoint: string, allowedHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'endpoint must be an absolute URL';
  }
  if (url.username || url.password) return 'endpoint must not carry credentials';
  const host = hostOf(url);
  if (allowedHosts.includes(host)) {
    return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'endpoint must be an https URL';
  }
  if (url.protocol !== 'https:') return 'endpoint must be an https URL';
  if (host === 'localhost' || host.endsWith('.localhost') || isInternalAddress(host))
    return 'endpoint must be on a public host';
  return null;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for the push agents: resolves as usual, then refuses (EPUSHINTERNAL) a name with any
 * internal address unless its host is allowed. Checked at connect time, on the addresses actually
 * dialled, so a name that changes what it resolves to after the subscription was checked gains nothing.
 */
export function publicOnlyLookup(allowedHosts: readonly string[]) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
      if (!allowedHosts.includes(host) && addresses.some((a) => isInternalAddress(a.address))) {
        const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to an internal address`);
        refused.code = 'EPUSHINTERNAL';
        return callback(refused, []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first)
        return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
