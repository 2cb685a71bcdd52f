/**
 * IPv4 and IPv6 addresses and CIDR blocks for access rules, on `ipaddr.js` (the parser Fastify's
 * `proxy-addr` already uses). Every address is held as IPv6: an IPv4 address is its IPv4-mapped
 * form (`::ffff:a.b.c.d`), so a client that reaches a dual-stack socket as `::ffff:10.1.2.3`
 * matches the IPv4 rule `10.0.0.0/8`. IPv4 is accepted only in four-part decimal (no `010.0.0.1`,
 * `127.1` or hex forms that `inet_aton` would read differently). Pure: no I/O.
 */
import ipaddr from 'ipaddr.js';

/** A parsed address (IPv4 as IPv4-mapped IPv6). */
export type IpAddress = ipaddr.IPv6;

/** A network: the addresses whose first `prefix` bits (of 128) equal those of `base`. */
export interface Cidr {
  readonly base: IpAddress;
  /** Prefix length in the 128-bit space (an IPv4 `/n` is `96 + n`). */
  readonly prefix: number;
  /** The network as written in the rules. */
  readonly text: string;
}

/** An IPv4 or IPv6 address written without zone, or `null`. */
function parseIp(text: string): { value: IpAddress; v4: boolean } | null {
  if (text.includes(':')) return ipaddr.IPv6.isValid(text) ? { value: ipaddr.IPv6.parse(text), v4: false } : null;
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return { value: ipaddr.IPv4.parse(text).toIPv4MappedAddress(), v4: true };
}

/**
 * Addresses parsed lately, by their text: under access rules every acquire parses its client's
 * address and the seat tally parses each lease's at its grant and end (about 3 µs each with
 * `ipaddr.js`, most of an acquire's cost), and the same clients come back. Emptied when full.
 */
const parsedAddresses = new Map<string, IpAddress | null>();
const PARSED_ADDRESSES_KEPT = 4_096;

/**
 * The address a socket reports (`request.ip`, `socket.remoteAddress`), or `null` if it is not an
 * IP address. A zone (`fe80::1%eth0`) is ignored. The same text gives the same object (treat it
 * as read-only).
 */
export function parseAddress(text: string): IpAddress | null {
  if (typeof text !== 'string') return null;
  const known = parsedAddresses.get(text);
  if (known !== undefined) return known;
  const zone = text.indexOf('%');
  const address = parseIp(zone < 0 ? text : text.slice(0, zone))?.value ?? null;
  if (parsedAddresses.size >= PARSED_ADDRESSES_KEPT) parsedAddresses.clear();
  parsedAddresses.set(text, address);
  return address;
}

/** The network's first address, as the rules should write it. */
function networkText(ip: IpAddress, v4: boolean, length: number): string {
  if (v4)
    return `${ipaddr.IPv4.networkAddressFromCIDR(`${ip.toIPv4Address().toString()}/${length}`).toString()}/${length}`;
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${ip.toString()}/${length}`).toString()}/${length}`;
}

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32`, or a single address (a `/32` or `/128` network).
 * Returns the network, or a sentence saying what is wrong (for the rules parser's errors).
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  if (addressText.includes('%')) return `'${text}': a zone (%…) has no place in an access rule`;
  const ip = parseIp(addressText);
  if (ip === null) return `'${text}' is not an IPv4 or IPv6 address or network (e.g. 10.0.0.0/8, 2001:db8::/32)`;
  const max = ip.v4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(lengthText) || Number(lengthText) > max) {
      return `'${text}': the prefix length must be a number from 0 to ${max}`;
    }
    length = Number(lengthText);
  }
  const prefix = ip.v4 ? 96 + length : length;
  const network = networkText(ip.value, ip.v4, length);
  if (parseIp(network.slice(0, network.indexOf('/')))?.value.toNormalizedString() !== ip.value.toNormalizedString()) {
    return `'${text}' has bits set after the /${length} prefix; write ${network}`;
  }
  return { base: ip.value, prefix, text };
}

/** Whether the address (from {@link parseAddress}) lies in the network. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  return address.match(cidr.base, cidr.prefix);
}
