import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { validation } from '@chat/platform';

/** Longer URLs are refused: nothing legitimate needs more, and it bounds what is stored and logged. */
export const TARGET_URL_MAX = 2048;

/** Every address a host name resolves to (dns.lookup with `all: true`); injectable for tests. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export const resolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

const REFUSED_ADDRESS = 'url must not point to a loopback, private, link-local or otherwise internal address';

/** IPv4 ranges ipaddr.js leaves as `unicast` although no public service lives there (RFC 2544). */
const EXTRA_V4: Record<string, [ipaddr.IPv4, number][]> = {
  benchmarking: [ipaddr.IPv4.parseCIDR('198.18.0.0/15')],
};

/**
 * Why an address may not be delivered to, or null for a public unicast address. Addresses that
 * embed an IPv4 one (mapped, translated, NAT64, IPv4-compatible) are judged by the embedded one,
 * since a dual-stack host or a NAT64 gateway would connect to it; IPv6 outside global unicast
 * (2000::/3) and the tunnelling prefixes (6to4, Teredo), whose far end is an arbitrary IPv4 host,
 * are refused.
 */
export function addressRefusal(address: string): string | null {
  const canonical = canonicalAddress(address);
  if (canonical === null) return 'not an IP address';
  const parsed = ipaddr.parse(canonical);
  if (parsed.kind() === 'ipv4') return v4Refusal(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return v4Refusal(embeddedV4(v6));
  const words = v6.parts;
  // ::/96 holds the deprecated IPv4-compatible form (::7f00:1 is 127.0.0.1), :: and ::1 included.
  if (words.slice(0, 6).every((w) => w === 0)) {
    if (range === 'loopback' || range === 'unspecified') return range;
    return v4Refusal(embeddedV4(v6));
  }
  if (range !== 'unicast') return range;
  if ((words[0] & 0xe000) !== 0x2000) return 'reserved';
  return null;
}

/**
 * The address in the form ipaddr.js 1.x parses: IPv6 through the WHATWG serialiser (which turns
 * the dotted tail of `64:ff9b::127.0.0.1` into hex words) and without a zone id; null when `address`
 * is no IP address (isIP first: ipaddr.js would read `0x7f.1` as one).
 */
function canonicalAddress(address: string): string | null {
  const bare = address.replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return bare;
  if (version !== 6) return null;
  const v6 = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return ipaddr.IPv6.isValid(v6) ? v6 : null;
}

function v4Refusal(v4: ipaddr.IPv4): string | null {
  const range = v4.range();
  if (range !== 'unicast') return range;
  const extra = ipaddr.subnetMatch(v4, EXTRA_V4, 'unicast');
  return extra === 'unicast' ? null : extra;
}

function embeddedV4(v6: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = v6.toByteArray();
  return ipaddr.fromByteArray(bytes.slice(12)) as ipaddr.IPv4;
}

/** A target URL's parts that matter here, once its shape is acceptable. */
export interface TargetUrl {
  url: URL;
  /** The host without IPv6 brackets or a trailing dot, lower-cased. */
  host: string;
  /** An operator allowlisted this host: no address checks. */
  allowed: boolean;
  /** The host is an IP literal (the URL parser normalised every spelling of one to this). */
  literal: boolean;
}

/**
 * Scheme, credentials, length, and the host as the WHATWG parser normalised it (`127.1`, `0x7f.1`,
 * `2130706433` all become `127.0.0.1`; `[0:0:0:0:0:ffff:127.0.0.1]` becomes `[::ffff:7f00:1]`).
 * An IP literal is judged here; a name is judged by what it resolves to (assertDeliverableUrl at
 * creation, guardedLookup at each delivery).
 */
export function parseTargetUrl(raw: string, allowedHosts: readonly string[]): TargetUrl {
  if (typeof raw !== 'string' || raw.length > TARGET_URL_MAX)
    throw validation(`url must be at most ${TARGET_URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validation('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw validation('url must use http or https');
  if (url.username || url.password) throw validation('url must not contain credentials');
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (!host) throw validation('url must name a host');
  const allowed = allowedHosts.some((h) => h.replace(/^\[|\]$/g, '').replace(/\.$/, '') === host);
  const literal = isIP(host) !== 0;
  if (literal && !allowed && addressRefusal(host) !== null) throw validation(REFUSED_ADDRESS);
  return { url, host, allowed, literal };
}

/** Throws VALIDATION unless every address is public. */
export function assertPublicAddresses(addresses: readonly { address: string }[]): void {
  if (addresses.length === 0) throw validation('url host does not resolve to any address');
  if (addresses.some((a) => addressRefusal(a.address) !== null)) throw validation(REFUSED_ADDRESS);
}

/**
 * The check an outgoing webhook's URL passes at creation (and again, with guardedLookup, at every
 * delivery): http or https, no credentials, at most 2048 characters, and a host that neither is
 * nor resolves to (any of its addresses) a loopback, private, CGNAT, link-local, unspecified,
 * multicast, broadcast or reserved address, unless `allowedHosts` (lower-cased, from
 * WEBHOOK_ALLOWED_HOSTS) names it. Answers the parsed URL; throws the app's 400 VALIDATION.
 */
export async function assertDeliverableUrl(
  url: string,
  allowedHosts: string[],
  resolve: ResolveAll = resolveAll,
): Promise<URL> {
  const target = parseTargetUrl(url, allowedHosts);
  if (target.allowed || target.literal) return target.url;
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(target.host);
  } catch {
    throw validation('url host cannot be resolved');
  }
  assertPublicAddresses(addresses);
  return target.url;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that resolves with `resolve`, refuses the connection unless every
 * address is public, and hands the socket exactly the addresses it checked. The connection is
 * pinned to what was checked, so a name that resolved to a public address at creation and to
 * 127.0.0.1 now (DNS rebinding) is refused at delivery time.
 */
export function guardedLookup(resolve: ResolveAll = resolveAll) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (all) => {
        try {
          assertPublicAddresses(all);
        } catch (err) {
          callback(new Error(`refused: ${(err as Error).message}`), '');
          return;
        }
        const usable = options.family ? all.filter((a) => a.family === options.family) : all;
        if (usable.length === 0) {
          callback(
            Object.assign(new Error(`no IPv${options.family} address for ${hostname}`), {
              code: 'ENOTFOUND',
            }),
            '',
          );
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
