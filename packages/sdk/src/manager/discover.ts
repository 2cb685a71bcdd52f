/**
 * Automatic discovery of License Managers on the local network: the last place
 * {@link connectManager} looks, after the `managers` option, `lictor.ini` and `LICTOR_MANAGER`.
 *
 * One UDP socket sends a probe with a random nonce to every target and collects the answers
 * that echo the nonce for a short window (500 ms by default); anything else that arrives is
 * ignored. Managers are returned in the order they answered, each once (by manager id and URL).
 *
 * Default targets, and why several:
 * - the limited broadcast `255.255.255.255`: reaches every host of the segment with no
 *   network configuration, but leaves through one interface only (the one of the default
 *   route), so the directed broadcast of every other IPv4 interface (e.g. `192.168.1.255`)
 *   is probed as well;
 * - the multicast group `239.255.76.84` (site-local scope): crosses routers where the
 *   site routes multicast (raise `multicastTtl`), and reaches managers on networks that
 *   filter broadcasts;
 * - `127.0.0.1`: a manager on this computer that listens on loopback only.
 *
 * A manager reached several ways answers each probe; the nonce makes the duplicates harmless.
 * IPv4 only. Answers are not authenticated here (a 512-byte answer cannot carry a license):
 * discovery finds addresses, like `lictor.ini`. A responder can claim any id, so answers are
 * kept apart by id *and* URL: a rogue that answers first with the genuine manager's id does not
 * hide it. Trust comes at the first lease: `connectManager` accepts a seat only with a proof
 * signed by a genuine license's key, and moves on to the next manager otherwise.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import {
  DEFAULT_DISCOVERY_PORT,
  DISCOVERY_MULTICAST_GROUP,
  DISCOVERY_NONCE_BYTES,
  decodeDiscoveryAnswer,
  encodeDiscoveryProbe,
  LictorError,
} from '@lictor/protocol';
import { parseUdpTarget } from '../udp-target.js';
import { normalizeManagerAddress } from './locate.js';

/** How long answers are collected when no `timeoutMs` is given. */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 500;

/** Options of {@link discoverManagers}. */
export interface DiscoverOptions {
  /** UDP port the managers listen on (default 8791); used for targets that name none. */
  port?: number;
  /** How long to collect answers, in ms (default 500). */
  timeoutMs?: number;
  /**
   * IPv4 addresses or host names to probe, each `host` or `host:port`; replaces the default
   * targets ({@link defaultDiscoveryTargets}). Add a remote subnet's broadcast address or a
   * manager's address here.
   */
  targets?: string[];
  /** Hops multicast probes may take (default 1: this network only). */
  multicastTtl?: number;
}

/** A manager that answered. */
export interface DiscoveredManager {
  /** Base URL of its HTTP service (`http://host:port`). */
  url: string;
  /** The manager's id. */
  id: string;
  /** The manager's software version. */
  version: string;
  /** The address the answer came from. */
  from: string;
  /** Milliseconds from sending the probes to this answer. */
  answeredAfterMs: number;
}

/** The targets probed by default: broadcast (limited and per interface), the multicast group, loopback. */
export function defaultDiscoveryTargets(): string[] {
  const targets = ['255.255.255.255'];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const broadcast = directedBroadcast(a.address, a.netmask);
      if (broadcast !== null) targets.push(broadcast);
    }
  }
  targets.push(DISCOVERY_MULTICAST_GROUP, '127.0.0.1');
  return [...new Set(targets)];
}

function ipv4ToNumber(text: string): number | null {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function directedBroadcast(address: string, netmask: string): string | null {
  const a = ipv4ToNumber(address);
  const m = ipv4ToNumber(netmask);
  if (a === null || m === null || m === 0xffffffff) return null;
  const b = (a | ~m) >>> 0;
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join('.');
}

/**
 * Probes the local network for License Managers and returns those that answered within
 * `timeoutMs`, fastest first. Never throws for network reasons (an unreachable target is
 * skipped); throws `LICTOR_E_INVALID_INPUT` for a malformed target or option.
 */
export async function discoverManagers(options: DiscoverOptions = {}): Promise<DiscoveredManager[]> {
  const port = options.port ?? DEFAULT_DISCOVERY_PORT;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'the discovery port must be 1–65535', { field: 'port' });
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'the discovery timeout must be a positive number of ms', {
      field: 'timeoutMs',
    });
  }
  const targets = (options.targets ?? defaultDiscoveryTargets()).map((t) =>
    parseUdpTarget(t, port, 'discovery target'),
  );
  if (targets.length === 0) return [];
  const nonce = randomBytes(DISCOVERY_NONCE_BYTES);
  const probe = encodeDiscoveryProbe(nonce);
  const found = new Map<string, DiscoveredManager>();
  const socket = createSocket({ type: 'udp4' });
  let startedAt = 0;

  socket.on('message', (packet, from) => {
    const answer = decodeDiscoveryAnswer(packet);
    if (!answer.ok || !nonce.equals(answer.nonce)) return;
    const { id, version, port: httpPort, url } = answer.announcement;
    let base: string;
    try {
      base = normalizeManagerAddress(url ?? `http://${from.address}:${httpPort}`);
    } catch {
      return; // a URL clients could not use
    }
    const key = `${id}\0${base}`;
    if (found.has(key)) return;
    found.set(key, { url: base, id, version, from: from.address, answeredAfterMs: Date.now() - startedAt });
  });

  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve([...found.values()]);
    };
    const timer = setTimeout(finish, timeoutMs);
    // After binding, the only errors left are sends (reported to their callbacks): end quietly.
    socket.on('error', finish);
    socket.bind(0, () => {
      try {
        socket.setBroadcast(true);
        socket.setMulticastTTL(options.multicastTtl ?? 1);
      } catch {
        // Without these, broadcast or multicast targets fail to send; the others still work.
      }
      startedAt = Date.now();
      let pending = targets.length;
      let sent = 0;
      for (const target of targets) {
        socket.send(probe, target.port, target.host, (error) => {
          if (!error) sent++;
          if (--pending === 0 && sent === 0) finish(); // nothing left the host: no answer can come
        });
      }
    });
  });
}
