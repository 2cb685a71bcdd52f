/**
 * The packets of License Manager discovery on the local network (UDP, IPv4). Pure: building
 * and reading bytes only; the sockets live in the SDK (the probe) and the server (the answer).
 *
 * Both packets start with the same 22-byte header:
 *
 * | offset | bytes | field                                   |
 * | ------ | ----- | --------------------------------------- |
 * | 0      | 4     | magic `LCTR` (0x4c 0x43 0x54 0x52)      |
 * | 4      | 1     | version, 1                              |
 * | 5      | 1     | type: 1 probe, 2 answer                 |
 * | 6      | 16    | nonce, random per probe, echoed         |
 *
 * A **probe** is exactly {@link DISCOVERY_PACKET_BYTES} bytes: the header and zero padding. An
 * **answer** is the header (with the probe's nonce) and UTF-8 JSON `{ id, version, port, url? }`,
 * at most {@link DISCOVERY_PACKET_BYTES} bytes in all. The answer is never larger than the probe
 * it answers, so a probe with a forged source address cannot be amplified; 512 bytes fit one
 * datagram on every IPv4 path (576-byte minimum reassembly size) without fragments.
 */
import { fromJsonUtf8, utf8 } from './encoding.js';
import { LictorError } from './errors.js';

/** The UDP port managers listen on for discovery probes. */
export const DEFAULT_DISCOVERY_PORT = 8791;
/**
 * The multicast group of discovery probes: in 239.255.0.0/16, the IPv4 Local Scope of
 * RFC 2365 (76.84 is "LT"), so routers leave it inside the site.
 */
export const DISCOVERY_MULTICAST_GROUP = '239.255.76.84';
/** Size of a probe, and the most an answer may take. */
export const DISCOVERY_PACKET_BYTES = 512;
/** Bytes of the nonce a probe carries and its answer echoes. */
export const DISCOVERY_NONCE_BYTES = 16;
/** Bytes of the header both packets start with. */
export const DISCOVERY_HEADER_BYTES = 6 + DISCOVERY_NONCE_BYTES;

const MAGIC = [0x4c, 0x43, 0x54, 0x52] as const;
const VERSION = 1;
const PROBE = 1;
const ANSWER = 2;
const MAX_ID = 64;
const MAX_VERSION = 32;
const MAX_URL = 256;

/** What a manager says about itself in an answer. */
export interface DiscoveryAnnouncement {
  /** The manager's id (as in `GET /v1/status`). */
  id: string;
  /** The manager's software version. */
  version: string;
  /** The TCP port of its HTTP service. */
  port: number;
  /** Its base URL, when clients must not build it from the answer's source address and `port`. */
  url?: string;
}

/** Why a packet was not accepted. */
export type DiscoveryPacketFault = 'oversize' | 'malformed';

/** A probe as read from the network. */
export type DecodedProbe = { ok: true; nonce: Uint8Array } | { ok: false; fault: DiscoveryPacketFault };

/** An answer as read from the network. */
export type DecodedAnswer =
  | { ok: true; nonce: Uint8Array; announcement: DiscoveryAnnouncement }
  | { ok: false; fault: DiscoveryPacketFault };

function header(type: number, nonce: Uint8Array, size: number): Uint8Array {
  if (nonce.length !== DISCOVERY_NONCE_BYTES) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `a discovery nonce is ${DISCOVERY_NONCE_BYTES} bytes`, {
      field: 'nonce',
    });
  }
  const packet = new Uint8Array(size);
  packet.set(MAGIC, 0);
  packet[4] = VERSION;
  packet[5] = type;
  packet.set(nonce, 6);
  return packet;
}

/** The type of a packet with a valid header, or a fault. */
function readHeader(packet: Uint8Array): number | DiscoveryPacketFault {
  if (packet.length > DISCOVERY_PACKET_BYTES) return 'oversize';
  if (packet.length < DISCOVERY_HEADER_BYTES) return 'malformed';
  for (let i = 0; i < MAGIC.length; i++) if (packet[i] !== MAGIC[i]) return 'malformed';
  if (packet[4] !== VERSION) return 'malformed';
  return packet[5] ?? 0;
}

/** A probe carrying `nonce` (16 random bytes), padded to {@link DISCOVERY_PACKET_BYTES}. */
export function encodeDiscoveryProbe(nonce: Uint8Array): Uint8Array {
  return header(PROBE, nonce, DISCOVERY_PACKET_BYTES);
}

/** Reads a probe; anything but a whole version-1 probe is a fault. */
export function decodeDiscoveryProbe(packet: Uint8Array): DecodedProbe {
  const type = readHeader(packet);
  if (typeof type === 'string') return { ok: false, fault: type };
  if (type !== PROBE || packet.length !== DISCOVERY_PACKET_BYTES) return { ok: false, fault: 'malformed' };
  return { ok: true, nonce: packet.slice(6, DISCOVERY_HEADER_BYTES) };
}

function printable(value: unknown, max: number): value is string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  return typeof value === 'string' && value.length >= 1 && value.length <= max && !/[\u0000-\u001f\u007f]/.test(value);
}

function isAnnouncement(value: unknown): value is DiscoveryAnnouncement {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    printable(v.id, MAX_ID) &&
    printable(v.version, MAX_VERSION) &&
    Number.isInteger(v.port) &&
    (v.port as number) >= 1 &&
    (v.port as number) <= 65535 &&
    (v.url === undefined || printable(v.url, MAX_URL))
  );
}

/**
 * The answer to the probe that carried `nonce`. Throws `LICTOR_E_INVALID_INPUT` when the
 * announcement has out-of-range fields or does not fit in {@link DISCOVERY_PACKET_BYTES}.
 */
export function encodeDiscoveryAnswer(nonce: Uint8Array, announcement: DiscoveryAnnouncement): Uint8Array {
  const { id, version, port, url } = announcement;
  const fields = url === undefined ? { id, version, port } : { id, version, port, url };
  if (!isAnnouncement(fields)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `a discovery answer needs an id (≤ ${MAX_ID} characters), a version (≤ ${MAX_VERSION}), a TCP port and at most a ${MAX_URL}-character URL`,
      { field: 'announcement' },
    );
  }
  const body = utf8(JSON.stringify(fields));
  const packet = header(ANSWER, nonce, DISCOVERY_HEADER_BYTES + body.length);
  if (packet.length > DISCOVERY_PACKET_BYTES) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `a discovery answer is at most ${DISCOVERY_PACKET_BYTES} bytes`, {
      field: 'announcement',
    });
  }
  packet.set(body, DISCOVERY_HEADER_BYTES);
  return packet;
}

/** Reads an answer; unknown JSON fields are ignored, missing or out-of-range ones are a fault. */
export function decodeDiscoveryAnswer(packet: Uint8Array): DecodedAnswer {
  const type = readHeader(packet);
  if (typeof type === 'string') return { ok: false, fault: type };
  if (type !== ANSWER) return { ok: false, fault: 'malformed' };
  const json = fromJsonUtf8(packet.subarray(DISCOVERY_HEADER_BYTES));
  if (!isAnnouncement(json)) return { ok: false, fault: 'malformed' };
  const { id, version, port, url } = json;
  return {
    ok: true,
    nonce: packet.slice(6, DISCOVERY_HEADER_BYTES),
    announcement: url === undefined ? { id, version, port } : { id, version, port, url },
  };
}
