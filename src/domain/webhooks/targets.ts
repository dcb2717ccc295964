import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

// Where a webhook may send: only to public unicast addresses, unless the operator allows
// private targets (tests, a private network). Checked when a URL is set, and again when
// connecting (src/jobs/webhook-sender.ts checks the address actually connected to, so a
// resolver that changes its answer does not get through).

/** A resolver: every address of a host name. */
export type Resolve = (hostname: string) => Promise<string[]>;

const systemResolve: Resolve = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** How long a URL check waits for DNS; a host that does not resolve in time is checked when connecting. */
const LOOKUP_TIMEOUT_MS = 400;

/**
 * True for an address a webhook may reach by default: public unicast. Everything else is
 * refused: loopback, private, link-local, unspecified, carrier-grade NAT, multicast,
 * reserved, and IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo), which
 * could hide any of those.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.parse(address).range() === 'unicast';
}

/** `[::1]` → `::1`; a trailing dot dropped. */
const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');

/**
 * Why `url` may not be a webhook's target, or null when it may. A host name that does not
 * resolve (or not in time) passes here: it cannot be checked yet, and the connection will be.
 */
export async function refusedTarget(url: string, resolve: Resolve = systemResolve): Promise<string | null> {
  const host = bareHost(new URL(url).hostname).toLowerCase();
  const refusal = (address: string) =>
    `points at ${address}, a loopback, private, link-local or otherwise non-public address`;
  if (isIP(host) !== 0) return isPublicAddress(host) ? null : refusal(host);
  // Names that are loopback by definition (RFC 6761), whatever a resolver says.
  if (host === 'localhost' || host.endsWith('.localhost')) return refusal(host);
  let addresses: string[];
  try {
    addresses = await withTimeout(resolve(host), LOOKUP_TIMEOUT_MS);
  } catch {
    return null;
  }
  const blocked = addresses.find((address) => !isPublicAddress(address));
  return blocked === undefined ? null : `resolves to ${blocked}, a loopback, private, link-local or otherwise non-public address`;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
