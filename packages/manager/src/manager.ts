/**
 * The network License Manager, composed of small parts: a {@link LeaseService} (the pool with
 * access rules, administrator blocks and observers), an {@link EventLog} and a
 * {@link SnapshotStore} observing it, the access rules file watcher, and the admin token check.
 * This class wires them and keeps one API for the HTTP service (`buildManagerServer`), the
 * admin page and the CLI. Time comes from one injected `Scheduler` (reaper, snapshots, rules
 * watcher).
 */

import { borrowReturnValid, LictorError, type Scheduler, systemScheduler, type TimerHandle } from '@lictor/protocol';
import { type AccessRules, NO_ACCESS_RULES } from './access-rules.js';
import { DEFAULT_ACCESS_RULES_POLL_MS, readAccessRulesFile, watchAccessRulesFile } from './access-rules-file.js';
import { AdminTokenCheck } from './admin-token.js';
import {
  EventLog,
  MANAGER_EVENT_CAPACITY,
  type ManagerEvent,
  type ManagerEventKind,
  type RenewalCount,
} from './event-log.js';
import { eventLogObserver } from './event-log-observer.js';
import { DEFAULT_LEASE_TTL_MS } from './lease-pool.js';
import { LeaseService, type ServiceAcquireResult } from './lease-service.js';
import { loadSnapshot, SnapshotStore } from './snapshot-store.js';
import type {
  AcquireRequest,
  BorrowResult,
  BorrowSeatRequest,
  HeartbeatResult,
  Lease,
  LicenseUsage,
  PoolLicense,
} from './types.js';
import {
  type AdminBorrowedSeat,
  type AdminLeaseBody,
  adminBorrowedSeatOf,
  adminLeaseBodyOf,
  type BorrowedSeatBody,
  borrowedSeatBodyOf,
  type LeaseBody,
  leaseBodyOf,
  type ManagerStatus,
  productStatusOf,
} from './wire.js';

export {
  MANAGER_EVENT_CAPACITY,
  MANAGER_EVENT_KINDS,
  type ManagerEvent,
  type ManagerEventKind,
  type RenewalCount,
} from './event-log.js';
export type {
  AdminBorrowedSeat,
  AdminLeaseBody,
  BorrowedSeatBody,
  LeaseBody,
  ManagerStatus,
  ProductStatus,
} from './wire.js';

/** Default interval at which clients send heartbeats. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 20_000;
/** Default minimum time between two snapshots of the leases. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 1_000;
/** The manager's version, announced by `GET /v1/status`. */
export const MANAGER_VERSION = '0.1.0';
/** The longest an administrator can keep a client from a seat it was released from: 30 days. */
export const MAX_ADMIN_BLOCK_MS = 30 * 24 * 60 * 60 * 1000;

/** Options of {@link LicenseManager.open}. */
export interface LicenseManagerOptions {
  /** JSON `PoolSnapshot` of the leases; created on first write. */
  stateFile: string;
  licenses: readonly PoolLicense[];
  /** The clock and timers (reaper, snapshots, rules watcher). Default `systemScheduler`. */
  scheduler?: Scheduler;
  /** The clock, epoch milliseconds. Default the scheduler's `now`. */
  now?: () => number;
  /** A lease lapses this long after its last heartbeat. Default 60 000. */
  leaseTtlMs?: number;
  /** How often clients are told to send heartbeats; must be below `leaseTtlMs`. Default 20 000. */
  heartbeatIntervalMs?: number;
  /** Minimum time between two snapshots written after changes. Default 1 000. */
  snapshotIntervalMs?: number;
  /** How often the reaper runs. Default min(1 000, leaseTtlMs). */
  reapIntervalMs?: number;
  /** SHA-256 of the admin token, lowercase hex (64 characters). */
  adminTokenHash: string;
  /** This manager's name, announced by `GET /v1/status`. */
  id: string;
  /**
   * The access rules file (`<data>/access.rules`): read at open (a broken file refuses to
   * open, naming the line) and reloaded when it changes; a broken change keeps the rules in
   * force and records an `access-rules-rejected` event. No file: no rules.
   */
  accessRulesFile?: string;
  /** Access rules in force from the start when no `accessRulesFile` is given. */
  accessRules?: AccessRules;
  /** Poll period of `accessRulesFile`, besides `fs.watch`. Default 1 000. */
  accessRulesPollMs?: number;
  /**
   * The most seats of one product that the clients of one address (as seen on the socket) may
   * hold, whatever names they declare (`--max-seats-per-address`); default no cap. See `address-seats.ts`.
   */
  maxSeatsPerAddress?: number;
  /** Called with each event once recorded (e.g. to log rejected access rules); see `onEventKinds`. */
  onEvent?: (event: ManagerEvent) => void;
  /**
   * The kinds of event `onEvent` hears (default every kind). Naming them spares the lease routes
   * a copy of each grant's and release's event for a listener that ignores it.
   */
  onEventKinds?: readonly ManagerEventKind[];
}

/** Options of {@link LicenseManager.adminRelease}. */
export interface AdminReleaseOptions {
  /**
   * Keeps the lease's client (same identity, product and feature) from taking a seat again for
   * this long (at most {@link MAX_ADMIN_BLOCK_MS}); it is refused with `LICTOR_E_LEASE_REVOKED`
   * meanwhile. 0 (default): the client may take a seat again at once, e.g. at its next heartbeat.
   */
  blockMs?: number;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `${name} must be a positive number of milliseconds`);
  }
  return value;
}

/**
 * The License Manager. Open it with {@link LicenseManager.open}; {@link close} it to stop its
 * timers and write the last snapshot.
 *
 * Persistence (see `SnapshotStore`): after a crash (SIGKILL, power loss) the manager restores
 * the last snapshot: `LeasePool.restore` re-checks capacity against the licenses served now, so
 * there are never more leases than seats. Leases granted (or released) since the last snapshot
 * before the crash can be missing (or back) after it. This is a deliberate trade: a client
 * whose lease is missing gets `404 LICTOR_E_LEASE_UNKNOWN` on its next heartbeat and re-attaches
 * with `POST /v1/leases` carrying its identity and old lease id; it gets a seat again (under a
 * new lease id) if one is free. A released lease that comes back simply lapses after
 * `leaseTtlMs` without heartbeats. A restored lease's last heartbeat is at most one heartbeat
 * interval old, well inside its TTL, so a restart does not expire live leases.
 */
export class LicenseManager {
  readonly id: string;
  readonly stateFile: string;
  readonly leaseTtlMs: number;
  readonly heartbeatIntervalMs: number;
  readonly snapshotIntervalMs: number;
  /** Seats, rules and administrator blocks; observe it for every change. */
  readonly service: LeaseService;
  /** The event log of the admin API and page. */
  readonly log: EventLog;
  /** The state file's writer. */
  readonly snapshots: SnapshotStore;
  readonly #scheduler: Scheduler;
  readonly #now: () => number;
  readonly #adminToken: AdminTokenCheck;
  readonly #reaper: TimerHandle;
  #stopRulesWatch: (() => void) | null = null;
  #closed = false;

  private constructor(parts: {
    options: LicenseManagerOptions;
    scheduler: Scheduler;
    now: () => number;
    service: LeaseService;
    log: EventLog;
    snapshots: SnapshotStore;
    adminToken: AdminTokenCheck;
  }) {
    const { options } = parts;
    this.id = options.id;
    this.stateFile = options.stateFile;
    this.#scheduler = parts.scheduler;
    this.#now = parts.now;
    this.#adminToken = parts.adminToken;
    this.service = parts.service;
    this.log = parts.log;
    this.snapshots = parts.snapshots;
    this.leaseTtlMs = parts.service.leaseTtlMs;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.snapshotIntervalMs = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
    const reapEvery = options.reapIntervalMs ?? Math.min(1_000, this.leaseTtlMs);
    this.#reaper = this.#scheduler.setInterval(() => this.expire(), reapEvery);
  }

  /** Opens the manager and restores the leases of `stateFile` that still fit. */
  static async open(options: LicenseManagerOptions): Promise<LicenseManager> {
    const scheduler = options.scheduler ?? systemScheduler;
    const now = options.now ?? (() => scheduler.now());
    const leaseTtlMs = positive('leaseTtlMs', options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
    const heartbeat = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
    const snapshotIntervalMs = positive(
      'snapshotIntervalMs',
      options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS,
    );
    if (options.reapIntervalMs !== undefined) positive('reapIntervalMs', options.reapIntervalMs);
    if (heartbeat >= leaseTtlMs) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'heartbeatIntervalMs must be below leaseTtlMs');
    }
    const adminToken = new AdminTokenCheck(options.adminTokenHash);
    const rulesFile = options.accessRulesFile;
    const rulesPollMs = positive('accessRulesPollMs', options.accessRulesPollMs ?? DEFAULT_ACCESS_RULES_POLL_MS);
    const loadedRules = rulesFile === undefined ? null : await readAccessRulesFile(rulesFile);
    const { pool, notes } = await loadSnapshot(options.stateFile, { now, leaseTtlMs, licenses: options.licenses });

    const service = new LeaseService(
      pool,
      now,
      options.maxSeatsPerAddress === undefined ? {} : { maxSeatsPerAddress: options.maxSeatsPerAddress },
    );
    const log = new EventLog(now, options.onEvent, options.onEventKinds);
    const snapshots = new SnapshotStore(pool, {
      file: options.stateFile,
      scheduler,
      intervalMs: snapshotIntervalMs,
      heartbeatIntervalMs: heartbeat,
    });
    service.observe(eventLogObserver(log));
    service.observe(snapshots.observer);
    const manager = new LicenseManager({ options, scheduler, now, service, log, snapshots, adminToken });
    for (const note of notes) log.record(note);
    if (rulesFile !== undefined && loadedRules !== null) {
      const { rules } = loadedRules;
      manager.setAccessRules(rules ?? NO_ACCESS_RULES, rules === null ? `${rulesFile} (no such file)` : rulesFile);
      manager.#stopRulesWatch = watchAccessRulesFile(rulesFile, loadedRules.text, {
        intervalMs: rulesPollMs,
        scheduler,
        onChange: (loaded) =>
          manager.setAccessRules(
            loaded.rules ?? NO_ACCESS_RULES,
            loaded.rules === null ? `${rulesFile} (removed)` : rulesFile,
          ),
        onError: (error) =>
          log.record({
            kind: 'access-rules-rejected',
            detail: `${error.code}: ${error.message}; the access rules in force before the change stay`,
          }),
      });
    } else if (options.accessRules !== undefined) {
      manager.setAccessRules(options.accessRules);
    }
    // Leases dropped on restore (or a file moved aside) change what is on disk.
    if (notes.length > 0) snapshots.markDirty();
    return manager;
  }

  /** The last error writing the state file, or `null` after a successful write. */
  get lastPersistError(): Error | null {
    return this.snapshots.lastError;
  }

  /**
   * Serves exactly `licenses` from now on. Leases of software licenses that left stay until
   * released or lapsed; those of token (dongle) licenses that left end at once (a pulled network
   * token must not keep its seats out, or it could be plugged into another manager and serve them
   * twice), each recorded as released with `endedBecause`. Returns the leases ended.
   */
  setLicenses(licenses: readonly PoolLicense[], endedBecause = 'its hardware token left the manager'): Lease[] {
    return this.service.setLicenses(licenses, endedBecause);
  }

  /**
   * Puts `rules` in force for new leases from now on (leases held stay, and renewals are not
   * checked against them). `from` names where they came from in the event recorded.
   */
  setAccessRules(rules: AccessRules, from = 'the caller'): void {
    this.service.setAccessRules(rules);
    const n = rules.rules.length;
    this.log.record({
      kind: 'access-rules-loaded',
      detail:
        n === 0 ? `no access rules from ${from}: every client may take seats` : `${n} access rule(s) from ${from}`,
    });
  }

  /** The access rules in force. */
  accessRules(): AccessRules {
    return this.service.accessRules();
  }

  /**
   * Takes a seat for the client, or gives back the lease it already holds. New leases go
   * through the access rules; `req.address` must be the socket's remote address. A client an
   * administrator released with a block gets `revoked` until the block ends.
   */
  acquire(req: AcquireRequest): ServiceAcquireResult {
    return this.service.acquire(req);
  }

  /** Keeps a lease alive. */
  heartbeat(leaseId: string): HeartbeatResult {
    return this.service.heartbeat(leaseId);
  }

  /**
   * Lends a seat to one computer for offline use until `req.days` from now (see
   * `LeasePool.borrow`); `req.address` must be the socket's remote address. Call {@link flush}
   * before answering: a borrowed seat must survive a crash of the manager.
   */
  borrow(req: BorrowSeatRequest): BorrowResult {
    return this.service.borrow(req);
  }

  /**
   * Gives a borrowed seat back early for its borrower, who proves it holds it with the secret
   * it committed to (`borrowReturnValid`). Returns false when there is no such borrowed seat or
   * the secret is not its own (told apart nowhere, so nobody learns which ids exist).
   */
  returnBorrow(leaseId: string, secret: string): boolean {
    const lease = this.service.pool.get(leaseId);
    if (lease?.borrow === undefined || !borrowReturnValid(lease.borrow.returnKey, secret)) return false;
    return this.service.returnBorrow(leaseId, 'given back by its borrower');
  }

  /**
   * Ends a borrowed seat for an administrator (a computer lost or broken). The computer that
   * holds it keeps using it offline until its end: the seat is counted free meanwhile.
   */
  adminReturnBorrow(leaseId: string): boolean {
    return this.service.returnBorrow(leaseId, 'ended by an administrator');
  }

  /** Borrowed seats, in the order they were lent. */
  borrows(): Lease[] {
    return this.service.borrows();
  }

  /** A borrowed seat as its borrower sees it (what the manager signs). */
  borrowedSeatBody(lease: Lease): BorrowedSeatBody {
    return borrowedSeatBodyOf(lease);
  }

  /** A borrowed seat as administrators see it. */
  adminBorrowedSeat(lease: Lease): AdminBorrowedSeat {
    return adminBorrowedSeatOf(lease);
  }

  /** Gives a seat back. Returns false if the lease was not held. */
  release(leaseId: string): boolean {
    return this.service.release(leaseId, { by: 'by its client' });
  }

  /**
   * Takes a seat back from its client, keeping the client out for `blockMs` when given.
   * Returns false if the lease was not held.
   */
  adminRelease(leaseId: string, options: AdminReleaseOptions = {}): boolean {
    const blockMs = options.blockMs ?? 0;
    if (!(Number.isFinite(blockMs) && blockMs >= 0 && blockMs <= MAX_ADMIN_BLOCK_MS)) {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        `a block must be between 0 and ${MAX_ADMIN_BLOCK_MS / 1000} seconds (30 days)`,
        { field: 'blockSeconds' },
      );
    }
    const by =
      blockMs > 0
        ? `by an administrator; its client is kept from taking a seat again until ${new Date(this.#now() + blockMs).toISOString()}`
        : 'by an administrator';
    return this.service.release(leaseId, { by, blockMs });
  }

  /** @deprecated The same as {@link setLicenses}, which ends the leases of token licenses that left. */
  replaceLicensesEndingTokenLeases(licenses: readonly PoolLicense[], reason: string): Lease[] {
    return this.setLicenses(licenses, reason);
  }

  /** The reaper: drops lapsed leases and returns them. Runs on a timer too. */
  expire(): Lease[] {
    return this.service.expire();
  }

  /** Active leases, least recently renewed first. */
  leases(): Lease[] {
    return this.service.leases();
  }

  /** Seats in use per license. */
  usage(): LicenseUsage[] {
    return this.service.usage();
  }

  /** Public status: who the manager is, its timings and the seats per product (of `product` only, when given). */
  status(product?: string): ManagerStatus {
    const usage = this.usage();
    return {
      manager: { id: this.id, version: MANAGER_VERSION },
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      leaseTtlMs: this.leaseTtlMs,
      products: productStatusOf(product === undefined ? usage : usage.filter((u) => u.product === product)),
    };
  }

  /** The latest `limit` events (default all kept, at most 1 000), newest first. Renewals are counted in {@link renewals}. */
  events(limit = MANAGER_EVENT_CAPACITY): ManagerEvent[] {
    return this.log.events(limit);
  }

  /** Renewals and heartbeats since the manager started (counted, not listed in {@link events}). */
  renewals(): RenewalCount {
    return this.log.renewals();
  }

  /** Whether `token` is the admin token (constant-time comparison of its SHA-256). */
  verifyAdminToken(token: string): boolean {
    return this.#adminToken.verify(token);
  }

  /** A lease as clients see it. */
  leaseBody(lease: Lease): LeaseBody {
    return leaseBodyOf(lease, this.heartbeatIntervalMs);
  }

  /** A lease as administrators see it. */
  adminLeaseBody(lease: Lease): AdminLeaseBody {
    return adminLeaseBodyOf(lease, this.heartbeatIntervalMs);
  }

  /** Writes the leases now if they changed since the last write. Rejects if writing fails. */
  flush(): Promise<void> {
    return this.snapshots.flush();
  }

  /** Stops the timers and writes the final snapshot. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#scheduler.clearInterval(this.#reaper);
      this.#stopRulesWatch?.();
    }
    await this.snapshots.close();
  }
}
