/**
 * The License Manager's discovery responder: answers the SDK's UDP probes (sent to the
 * broadcast address, the multicast group {@link DISCOVERY_MULTICAST_GROUP}, or this host) with
 * the manager's id, version and HTTP port. Packet format: `@lictor/protocol`'s `discovery.ts`.
 *
 * It never amplifies: a probe is 512 bytes and an answer at most that, answers go only to the
 * probe's source, and each source address gets a few answers per second (a global cap bounds
 * the rest). Anything that is not a whole probe is dropped without an answer and counted in
 * {@link DiscoveryResponder.stats}.
 */
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import {
  DEFAULT_DISCOVERY_PORT,
  DISCOVERY_MULTICAST_GROUP,
  DISCOVERY_PACKET_BYTES,
  type DiscoveryAnnouncement,
  decodeDiscoveryProbe,
  encodeDiscoveryAnswer,
  LictorError,
} from '@lictor/protocol';
import { RateLimiter } from './rate-limiter.js';

/** Options of {@link startDiscoveryResponder}. */
export interface DiscoveryResponderOptions {
  /** The manager's id. */
  id: string;
  /** The manager's version. */
  version: string;
  /** The TCP port the manager's HTTP service listens on. */
  httpPort: number;
  /**
   * The address the HTTP service listens on. A wildcard (`0.0.0.0`, `::`, default) binds the
   * responder to every interface and lets clients use the answer's source address; a loopback
   * address binds it to `127.0.0.1`; any other address is announced as the URL, since the
   * answer's source address might not be it.
   */
  httpHost?: string;
  /** The URL announced to clients; default derived from `httpHost` (see there). */
  url?: string;
  /** UDP port to listen on; default {@link DEFAULT_DISCOVERY_PORT}, 0 picks a free one. */
  port?: number;
  /** Address to bind to; default derived from `httpHost`. */
  bindAddress?: string;
  /** Multicast group joined on every IPv4 interface when bound to all of them; `null`: none. */
  multicastGroup?: string | null;
  /** Answers per source address: `burst` at once, then `perSecond` (defaults 10 and 5). */
  perSource?: { burst: number; perSecond: number };
  /** Answers per second in all (default 500). */
  globalPerSecond?: number;
  /** The clock of the rate limits, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** Counters of {@link DiscoveryResponder.stats}; never reset. */
export interface DiscoveryStats {
  /** Datagrams received. */
  received: number;
  /** Probes answered. */
  answered: number;
  /** Datagrams larger than a probe, dropped before being read. */
  oversize: number;
  /** Datagrams that are not a version-1 probe (wrong size, magic, version or type). */
  malformed: number;
  /** Probes not answered because their source, or all sources together, asked too often. */
  rateLimited: number;
  /** Answers the operating system could not send. */
  sendFailed: number;
}

/** A running responder. */
export interface DiscoveryResponder {
  /** The bound UDP port. */
  readonly port: number;
  /** The bound address. */
  readonly address: string;
  /** What each answer says. */
  readonly announcement: Readonly<DiscoveryAnnouncement>;
  /** Addresses of the interfaces on which the multicast group was joined. */
  readonly multicastInterfaces: readonly string[];
  stats(): DiscoveryStats;
  /** Stops answering. Idempotent. */
  close(): Promise<void>;
}

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);
const LOOPBACKS = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

/** Where to bind and what URL to announce, for an HTTP service listening on `httpHost`. */
function placement(httpHost: string, httpPort: number): { bind: string; url?: string } {
  if (WILDCARDS.has(httpHost)) return { bind: '0.0.0.0' };
  const host = httpHost.includes(':') && !httpHost.startsWith('[') ? `[${httpHost}]` : httpHost;
  const url = `http://${host}:${httpPort}`;
  // Answers come from 127.0.0.1: only a service listening there can go without a URL.
  if (LOOPBACKS.test(httpHost)) return httpHost === '127.0.0.1' ? { bind: '127.0.0.1' } : { bind: '127.0.0.1', url };
  return { bind: '0.0.0.0', url };
}

function bindSocket(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    socket.once('error', fail);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', fail);
      resolve();
    });
  });
}

/** Joins `group` on every IPv4 interface; returns the interfaces that accepted. */
function joinEverywhere(socket: Socket, group: string): string[] {
  const joined: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family !== 'IPv4') continue;
      try {
        socket.addMembership(group, a.address);
        joined.push(a.address);
      } catch {
        // An interface without multicast (or already joined through another address): skip it.
      }
    }
  }
  return joined;
}

/**
 * Starts answering discovery probes. Throws `LICTOR_E_DISCOVERY_UNAVAILABLE` when the UDP
 * port cannot be bound (another manager on this host, or no permission).
 */
export async function startDiscoveryResponder(options: DiscoveryResponderOptions): Promise<DiscoveryResponder> {
  const now = options.now ?? Date.now;
  const derived = placement(options.httpHost ?? '0.0.0.0', options.httpPort);
  const url = options.url ?? derived.url;
  const announcement: DiscoveryAnnouncement = {
    id: options.id,
    version: options.version,
    port: options.httpPort,
    ...(url === undefined ? {} : { url }),
  };
  // Validates the announcement and its size once; each answer then only changes the nonce.
  encodeDiscoveryAnswer(new Uint8Array(16), announcement);
  const bindAddress = options.bindAddress ?? derived.bind;
  const port = options.port ?? DEFAULT_DISCOVERY_PORT;

  const socket = createSocket({ type: 'udp4' });
  try {
    await bindSocket(socket, port, bindAddress);
  } catch (error) {
    socket.close();
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'it is in use (another License Manager on this computer?)'
        : code === 'EACCES'
          ? 'permission denied'
          : (error as Error).message;
    throw new LictorError(
      'LICTOR_E_DISCOVERY_UNAVAILABLE',
      `cannot listen for discovery probes on UDP ${bindAddress}:${port}: ${why}; choose another discovery port, or turn discovery off and name the manager in lictor.ini or LICTOR_MANAGER`,
      { port, address: bindAddress, ...(code === undefined ? {} : { cause: code }) },
    );
  }
  const group = options.multicastGroup === undefined ? DISCOVERY_MULTICAST_GROUP : options.multicastGroup;
  const multicastInterfaces = group !== null && bindAddress === '0.0.0.0' ? joinEverywhere(socket, group) : [];

  const stats: DiscoveryStats = { received: 0, answered: 0, oversize: 0, malformed: 0, rateLimited: 0, sendFailed: 0 };
  const perSource = new RateLimiter({ ...(options.perSource ?? { burst: 10, perSecond: 5 }), now });
  const globalRate = options.globalPerSecond ?? 500;
  const global = new RateLimiter({ burst: globalRate, perSecond: globalRate, now });

  socket.on('error', () => {
    stats.sendFailed++;
  });
  socket.on('message', (packet, from) => {
    stats.received++;
    // Checked before anything is read: node hands over whole datagrams of up to 64 KiB.
    if (packet.length > DISCOVERY_PACKET_BYTES) {
      stats.oversize++;
      return;
    }
    const probe = decodeDiscoveryProbe(packet);
    if (!probe.ok) {
      stats[probe.fault]++;
      return;
    }
    if (from.port === 0) {
      stats.malformed++;
      return;
    }
    if (!perSource.take(from.address) || !global.take('')) {
      stats.rateLimited++;
      return;
    }
    stats.answered++;
    socket.send(encodeDiscoveryAnswer(probe.nonce, announcement), from.port, from.address, (error) => {
      if (error) stats.sendFailed++;
    });
  });

  let closed: Promise<void> | null = null;
  const address = socket.address();
  return {
    port: address.port,
    address: address.address,
    announcement,
    multicastInterfaces,
    stats: () => ({ ...stats }),
    close: () => {
      closed ??= new Promise((resolve) => socket.close(() => resolve()));
      return closed;
    },
  };
}
