/**
 * IPv4 and IPv6 addresses and CIDR blocks for access rules. Every address is held as 128 bits
 * (four unsigned 32-bit words, most significant first); an IPv4 address is its IPv4-mapped IPv6
 * form (`::ffff:a.b.c.d`), so a client that reaches a dual-stack socket as `::ffff:10.1.2.3`
 * matches the IPv4 rule `10.0.0.0/8`. Pure: no I/O.
 */

/** An address as four unsigned 32-bit words, most significant first. */
export type IpAddress = readonly [number, number, number, number];

/** A network: the addresses whose first `prefix` bits (of 128) equal those of `base`. */
export interface Cidr {
  readonly base: IpAddress;
  /** `prefix` one bits then zeros, as words. */
  readonly mask: IpAddress;
  /** Prefix length in the 128-bit space (an IPv4 `/n` is `96 + n`). */
  readonly prefix: number;
  /** The network as written in the rules. */
  readonly text: string;
}

const HEXTET = /^[0-9A-Fa-f]{1,4}$/;

function parseV4(text: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      // A dot (or the end): an octet of 1–3 digits, no leading zero, at most 255.
      if (digits === 0 || octet > 255) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      if (i < text.length && ++dots > 3) return null;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null;
      if (++digits > 3) return null;
      octet = octet * 10 + (c - 48);
    } else {
      return null;
    }
  }
  return dots === 3 ? value : null;
}

function parseHextets(text: string): number[] | null {
  if (text === '') return [];
  const out: number[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseV4(part);
      if (v4 === null) return null;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEXTET.test(part)) {
      out.push(Number.parseInt(part, 16));
    } else {
      return null;
    }
  }
  return out;
}

function parseV6(text: string): IpAddress | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = parseHextets(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHextets(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const h = [...head, ...Array<number>(missing).fill(0), ...tail];
  const word = (i: number) => ((h[2 * i] as number) * 0x10000 + (h[2 * i + 1] as number)) >>> 0;
  return [word(0), word(1), word(2), word(3)];
}

/** An IPv4 or IPv6 address written without zone, or `null`. */
function parseIp(text: string): { value: IpAddress; v4: boolean } | null {
  if (text.includes(':')) {
    const value = parseV6(text);
    return value === null ? null : { value, v4: false };
  }
  const v4 = parseV4(text);
  return v4 === null ? null : { value: [0, 0, 0xffff, v4], v4: true };
}

/**
 * The address a socket reports (`request.ip`, `socket.remoteAddress`), or `null` if it is not an
 * IP address. A zone (`fe80::1%eth0`) is ignored.
 */
export function parseAddress(text: string): IpAddress | null {
  if (typeof text !== 'string') return null;
  const zone = text.indexOf('%');
  return parseIp(zone < 0 ? text : text.slice(0, zone))?.value ?? null;
}

function maskOf(prefix: number): IpAddress {
  const word = (i: number) => {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  };
  return [word(0), word(1), word(2), word(3)];
}

function and(a: IpAddress, b: IpAddress): IpAddress {
  return [(a[0] & b[0]) >>> 0, (a[1] & b[1]) >>> 0, (a[2] & b[2]) >>> 0, (a[3] & b[3]) >>> 0];
}

function formatNetwork(value: IpAddress, v4: boolean, length: number): string {
  if (v4) {
    const w = value[3];
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}/${length}`;
  }
  const hextets = value.flatMap((w) => [w >>> 16, w & 0xffff]);
  // RFC 5952: compress the longest run of two or more zero groups.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = hextets.map((h) => h.toString(16));
  const text =
    best.at < 0 ? hex.join(':') : `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
  return `${text}/${length}`;
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
  const mask = maskOf(prefix);
  const base = and(ip.value, mask);
  if (base.some((w, i) => w !== ip.value[i])) {
    return `'${text}' has bits set after the /${length} prefix; write ${formatNetwork(base, ip.v4, length)}`;
  }
  return { base, mask, prefix, text };
}

/** Whether the address (from {@link parseAddress}) lies in the network. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  const { base, mask } = cidr;
  return (
    (address[0] & mask[0]) >>> 0 === base[0] &&
    (address[1] & mask[1]) >>> 0 === base[1] &&
    (address[2] & mask[2]) >>> 0 === base[2] &&
    (address[3] & mask[3]) >>> 0 === base[3]
  );
}
