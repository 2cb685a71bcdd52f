/**
 * Announcing the licenses in use on the local network and listening to everybody else's, over
 * UDP (broadcast unless `targets` says where). A duplicate found writes a mark into the license
 * store (the files become unusable here at the next reload) and is reported to the License Center
 * when one is configured. Nothing here reads the wall clock: counters and ages come from the
 * computer's monotonic clock.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  type AnnouncementCredential,
  announcementCredential,
  createAnnouncement,
  DuplicateDetector,
  type DuplicateEvidence,
  decodeAnnouncement,
  encodeAnnouncement,
  LictorError,
  MAX_ANNOUNCEMENT_BYTES,
  type VendorPublicKey,
  verifyAnnouncement,
} from '@lictor/protocol';
import { parseUdpTarget, type UdpTarget } from '../udp-target.js';

/** Default UDP port of license announcements. */
export const DEFAULT_ANNOUNCE_PORT = 8792;

/** How an application or License Manager takes part in duplicate detection. */
export interface DuplicateDetectionOptions {
  /** UDP port to announce on and listen to (default 8792); `0` picks a free port (tests). */
  port?: number;
  /** Address to listen on (default all). */
  bindAddress?: string;
  /**
   * Where announcements go, replacing the default limited broadcast `255.255.255.255` (e.g. the
   * License Manager's address, or loopback). Port `port` unless given as `host:port`.
   */
  targets?: string[];
  /** Time between two announcements (default 30 s). */
  intervalMs?: number;
  /** License Center to report duplicates to (`https://…`); without it they are only marked here. */
  center?: string;
  /** Received announcements handled per second at most; the rest are dropped (default 200). */
  maxPerSecond?: number;
  /** This computer's instance id; default derived from the machine secret and the boot (tests set it). */
  instance?: string;
  /**
   * The computer's monotonic clock in milliseconds, shared by its processes: the announcements'
   * counter and the age of what was heard (default `process.hrtime`; tests replace it).
   */
  monotonicMs?: () => number;
}

/** Milliseconds of the system's monotonic clock (the same for every process of one boot). */
export function systemMonotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/** A license in use here, with the container key that signs its announcements. */
export interface AnnouncedLicense {
  license: string;
  signKey: string;
}

/** What a {@link DuplicateWatch} needs from its owner. */
export interface DuplicateWatchHooks {
  publicKey: VendorPublicKey;
  /** This computer's instance id. */
  instance: string;
  /** The licenses in use right now. */
  inUse(): readonly AnnouncedLicense[];
  /** Called once per duplicate found (the caller marks and reports it). */
  onDuplicate(evidence: DuplicateEvidence): Promise<void>;
}

/** Counters of a {@link DuplicateWatch}, for status pages and tests. */
export interface DuplicateWatchStats {
  sent: number;
  received: number;
  invalid: number;
  dropped: number;
  duplicates: number;
}

/** Counters and address of a running {@link DuplicateWatch}. */
export interface DuplicateDetectionStatus extends DuplicateWatchStats {
  /** The UDP port listened to. */
  port: number;
  /** The instance id announced. */
  instance: string;
  /** Where announcements go (`host:port`). */
  targets: string[];
}

/** The UDP side of duplicate detection. Call {@link DuplicateWatch.close} to stop. */
export class DuplicateWatch {
  readonly #socket: Socket;
  readonly #hooks: DuplicateWatchHooks;
  readonly #detector = new DuplicateDetector();
  readonly #targets: UdpTarget[];
  readonly #maxPerSecond: number;
  readonly #clock: () => number;
  readonly #reported = new Set<string>();
  readonly #credentials = new Map<string, AnnouncementCredential | null>();
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  #window = { startMs: 0, count: 0 };
  readonly stats: DuplicateWatchStats = { sent: 0, received: 0, invalid: 0, dropped: 0, duplicates: 0 };

  private constructor(
    socket: Socket,
    hooks: DuplicateWatchHooks,
    options: DuplicateDetectionOptions,
    targets: UdpTarget[],
  ) {
    this.#socket = socket;
    this.#hooks = hooks;
    this.#clock = options.monotonicMs ?? systemMonotonicMs;
    this.#maxPerSecond = options.maxPerSecond ?? 200;
    this.#targets = targets;
  }

  /** Binds the UDP port and starts announcing every `intervalMs`. */
  static async start(hooks: DuplicateWatchHooks, options: DuplicateDetectionOptions = {}): Promise<DuplicateWatch> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? DEFAULT_ANNOUNCE_PORT, options.bindAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: Error) => {
      socket.close();
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        `cannot listen for license announcements on UDP port ${options.port ?? DEFAULT_ANNOUNCE_PORT}: ${err.message}`,
      );
    });
    let targets: UdpTarget[];
    try {
      const { port } = socket.address();
      targets = (options.targets ?? ['255.255.255.255']).map((t) =>
        parseUdpTarget(t, port, 'duplicate detection target'),
      );
    } catch (err) {
      socket.close();
      throw err;
    }
    socket.setBroadcast(true);
    socket.unref();
    const watch = new DuplicateWatch(socket, hooks, options, targets);
    socket.on('message', (bytes) => watch.#receive(bytes));
    socket.on('error', () => {});
    const intervalMs = options.intervalMs ?? 30_000;
    watch.#timer = setInterval(() => watch.announce(), intervalMs);
    watch.#timer.unref();
    return watch;
  }

  /** Counters, port and instance, as a copy. */
  status(): DuplicateDetectionStatus {
    return {
      ...this.stats,
      port: this.#socket.address().port,
      instance: this.#hooks.instance,
      targets: this.#targets.map((t) => `${t.host}:${t.port}`),
    };
  }

  /** What a license file can announce (cached per file text); `null` when it cannot. */
  #credential(license: string): AnnouncementCredential | null {
    let credential = this.#credentials.get(license);
    if (credential === undefined) {
      try {
        credential = announcementCredential(license, this.#hooks.publicKey);
      } catch {
        credential = null;
      }
      if (this.#credentials.size > 64) this.#credentials.clear();
      this.#credentials.set(license, credential);
    }
    return credential;
  }

  /** Sends one announcement per license in use now (also called on a timer). */
  announce(): void {
    for (const { license, signKey } of this.#hooks.inUse()) {
      const credential = this.#credential(license);
      if (credential === null) continue;
      // The monotonic clock is shared by every process of this instance, so that the counter
      // grows across all of them and across restarts; within one process it never repeats.
      this.#seq = Math.max(this.#seq + 1, this.#clock());
      const a = createAnnouncement({ ...credential, instance: this.#hooks.instance, seq: this.#seq }, signKey);
      // What we say counts too: a duplicate shows between two of our own announcements.
      this.#observe(verifyAnnouncement(a, this.#hooks.publicKey));
      const bytes = encodeAnnouncement(a);
      for (const t of this.#targets) {
        this.#socket.send(bytes, t.port, t.host, (err) => {
          if (!err) this.stats.sent++;
        });
      }
    }
  }

  #receive(bytes: Buffer): void {
    const nowMs = this.#clock();
    if (nowMs - this.#window.startMs >= 1000) this.#window = { startMs: nowMs, count: 0 };
    if (++this.#window.count > this.#maxPerSecond || bytes.length > MAX_ANNOUNCEMENT_BYTES) {
      this.stats.dropped++;
      return;
    }
    this.stats.received++;
    try {
      this.#observe(decodeAnnouncement(bytes, this.#hooks.publicKey));
    } catch {
      this.stats.invalid++;
    }
  }

  #observe(v: ReturnType<typeof verifyAnnouncement>): void {
    const result = this.#detector.observe(v, this.#clock());
    if (result === null || typeof result === 'string') return;
    const key = `${result.serial}#${result.pin}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.stats.duplicates++;
    this.#hooks.onDuplicate(result).catch(() => this.#reported.delete(key));
  }

  /** Stops announcing and listening. */
  close(): void {
    clearInterval(this.#timer);
    this.#socket.close();
  }
}
