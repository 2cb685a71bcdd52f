/**
 * The manager's lease service: the {@link LeasePool} with the access rules in force, the
 * per-address cap (`address-seats.ts`), blocks set by an administrator, and observers told of
 * every change with its reason (the event log and the snapshot store are two of them).
 * Synchronous and free of I/O, like the pool.
 */

import { LictorError } from '@lictor/protocol';
import { accessGate } from './access-gate.js';
import { type AccessRules, NO_ACCESS_RULES } from './access-rules.js';
import { AddressSeats, addressCapGate } from './address-seats.js';
import { identityKeyOf } from './counting.js';
import { GroupSeatTally } from './group-seat-tally.js';
import type { LeasePool } from './lease-pool.js';
import type {
  AcquireRequest,
  AcquireResult,
  BorrowResult,
  BorrowSeatRequest,
  HeartbeatResult,
  Lease,
  LicenseUsage,
  PoolLicense,
} from './types.js';

/** A refusal of the service beyond the pool's: an administrator keeps the client out. */
export type RevokedRefusal = Extract<AcquireResult, { kind: 'revoked' }>;

/** The outcome of {@link LeaseService.acquire} (the pool's outcomes plus `revoked`). */
export type ServiceAcquireResult = AcquireResult;

/** What changed, told to each {@link LeaseServiceObserver}. */
export type LeaseChange =
  | { kind: 'granted'; lease: Lease }
  /** A held lease kept alive: asked for again (`acquire`) or by a heartbeat. */
  | { kind: 'renewed'; lease: Lease; via: 'acquire' | 'heartbeat' }
  | { kind: 'released'; lease: Lease; by: string }
  /** `lease` is undefined when it was found lapsed at a heartbeat (the pool dropped it). */
  | { kind: 'expired'; leaseId: string; lease?: Lease; detail: string }
  | { kind: 'refused'; product: string; client: AcquireRequest['client']; detail: string }
  | { kind: 'licenses-changed'; count: number }
  /** A seat lent to a computer for offline use. */
  | { kind: 'borrowed'; lease: Lease }
  /** A borrowed seat given back before its time. */
  | { kind: 'returned'; lease: Lease; by: string };

/** Hears every {@link LeaseChange}; must not call back into the service. */
export type LeaseServiceObserver = (change: LeaseChange) => void;

/** Options of {@link LeaseService.release}. */
export interface ReleaseOptions {
  /** Who released it, recorded with the event ("by its client", "by an administrator"). */
  by: string;
  /**
   * Keeps the lease's client (same identity, product and feature) from taking a seat again for
   * this long; 0 (default): it may at once.
   */
  blockMs?: number;
}

/** Options of {@link LeaseService}. */
export interface LeaseServiceOptions {
  /**
   * The most seats of one product that the clients of one address (as seen on the socket) may
   * hold, whatever names they declare; default no cap. A whole number ≥ 1.
   */
  maxSeatsPerAddress?: number;
}

/** Blocks kept at most; the oldest go first (administrators release by hand, so this is plenty). */
const MAX_BLOCKS = 10_000;

/**
 * Seats with rules and reasons. Every method that changes a lease tells the observers once,
 * in the order things happened; observers are called in the order they were added and a
 * throwing observer does not stop the others.
 */
export class LeaseService {
  readonly #pool: LeasePool;
  readonly #now: () => number;
  readonly #observers = new Set<LeaseServiceObserver>();
  /** The access rules in force with their seat counts, or `null` without rules. */
  #tally: GroupSeatTally | null = null;
  #removeTally: (() => void) | null = null;
  /** Identity key → until when an administrator keeps it from taking a seat. */
  readonly #blocks = new Map<string, number>();
  /** Seats per client address, when `maxSeatsPerAddress` caps them (observes the pool). */
  readonly #addressSeats: AddressSeats | null;
  readonly #maxSeatsPerAddress: number;

  constructor(pool: LeasePool, now: () => number, options: LeaseServiceOptions = {}) {
    const cap = options.maxSeatsPerAddress;
    if (cap !== undefined && !(Number.isSafeInteger(cap) && cap >= 1)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'maxSeatsPerAddress must be a whole number ≥ 1');
    }
    this.#pool = pool;
    this.#now = now;
    this.#maxSeatsPerAddress = cap ?? 0;
    this.#addressSeats = cap === undefined ? null : new AddressSeats(pool.leases());
    if (this.#addressSeats !== null) pool.addObserver(this.#addressSeats);
  }

  /** The most seats of a product one client address may hold, or `null` without a cap. */
  get maxSeatsPerAddress(): number | null {
    return this.#addressSeats === null ? null : this.#maxSeatsPerAddress;
  }

  /** How long a lease lives without a heartbeat. */
  get leaseTtlMs(): number {
    return this.#pool.leaseTtlMs;
  }

  /** The pool (read-only use: snapshots). */
  get pool(): LeasePool {
    return this.#pool;
  }

  /** Tells `observer` of every change from now on; returns a function that stops it. */
  observe(observer: LeaseServiceObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Puts `rules` in force for new leases (held leases stay; renewals are not checked). */
  setAccessRules(rules: AccessRules): void {
    this.#removeTally?.();
    this.#removeTally = null;
    this.#tally = rules.rules.length === 0 ? null : new GroupSeatTally(rules, this.#pool.leases());
    if (this.#tally !== null) this.#removeTally = this.#pool.addObserver(this.#tally);
  }

  /** The access rules in force. */
  accessRules(): AccessRules {
    return this.#tally?.rules ?? NO_ACCESS_RULES;
  }

  /**
   * Serves exactly `licenses`; the leases of token licenses that left end at once, each told as
   * released `endedBecause`. Returns the leases ended.
   */
  setLicenses(licenses: readonly PoolLicense[], endedBecause: string): Lease[] {
    const ended = this.#pool.replaceLicenses(licenses);
    this.#tell({ kind: 'licenses-changed', count: licenses.length });
    for (const lease of ended) this.#tell({ kind: 'released', lease, by: endedBecause });
    return ended;
  }

  /** The refusal of a client an administrator keeps from taking a seat again (told to observers), or null. */
  #revoked(req: AcquireRequest): { kind: 'revoked'; reason: string; until: number } | null {
    const blocked = this.#blockedUntil(req);
    if (blocked === null) return null;
    const reason = `an administrator released this client's seat of '${req.product}' and keeps it from taking one again until ${new Date(blocked).toISOString()}; ask the administrator, or try again after that`;
    this.#tell({ kind: 'refused', product: req.product, client: req.client, detail: reason });
    return { kind: 'revoked', reason, until: blocked };
  }

  /** The seat decision's gate for `req`: the access rules, then the per-address cap, where set. */
  #gate(req: AcquireRequest) {
    const rules = this.#tally === null ? undefined : accessGate(this.#tally, req, this.#pool);
    return this.#addressSeats === null
      ? rules
      : addressCapGate(this.#addressSeats, this.#maxSeatsPerAddress, req, this.#pool, rules);
  }

  /** Takes a seat for the client, or gives back the lease it holds; new leases go through the rules. */
  acquire(req: AcquireRequest): ServiceAcquireResult {
    this.expire();
    const revoked = this.#revoked(req);
    if (revoked !== null) return revoked;
    const result = this.#pool.acquire(req, this.#gate(req));
    const refused = (detail: string) =>
      this.#tell({ kind: 'refused', product: req.product, client: req.client, detail });
    switch (result.kind) {
      case 'granted':
        this.#tell({ kind: 'granted', lease: result.lease });
        break;
      case 'renewed':
        this.#tell({ kind: 'renewed', lease: result.lease, via: 'acquire' });
        break;
      case 'exhausted':
        refused(result.limit?.reason ?? `seats exhausted (${result.inUse}/${result.total})`);
        break;
      case 'not-licensed':
      case 'expired':
      case 'denied':
      case 'server-elsewhere':
        refused(result.reason);
        break;
    }
    return result;
  }

  /**
   * Lends a seat to one computer for offline use (see `LeasePool.borrow`), through the same
   * access rules, per-address cap and administrator blocks as a new lease.
   */
  borrow(req: BorrowSeatRequest): BorrowResult {
    this.expire();
    const revoked = this.#revoked(req);
    if (revoked !== null) return revoked;
    const asked: AcquireRequest = {
      product: req.product,
      client: req.client,
      ...(req.feature === undefined ? {} : { feature: req.feature }),
      ...(req.address === undefined ? {} : { address: req.address }),
    };
    const result = this.#pool.borrow(req, this.#gate(asked));
    const refused = (detail: string) =>
      this.#tell({ kind: 'refused', product: req.product, client: req.client, detail: `borrowing: ${detail}` });
    switch (result.kind) {
      case 'borrowed':
        this.#tell({ kind: 'borrowed', lease: result.lease });
        break;
      case 'held':
        refused(`this computer already borrowed a seat until ${new Date(result.lease.expiresAt).toISOString()}`);
        break;
      case 'exhausted':
        refused(result.limit?.reason ?? `seats exhausted (${result.inUse}/${result.total})`);
        break;
      case 'not-licensed':
      case 'expired':
      case 'denied':
      case 'server-elsewhere':
      case 'not-allowed':
        refused(result.reason);
        break;
    }
    return result;
  }

  /** Ends a borrowed seat before its time. Returns false if it was not held. */
  returnBorrow(leaseId: string, by: string): boolean {
    const lease = this.#pool.get(leaseId);
    if (lease?.borrow === undefined || !this.#pool.endBorrow(leaseId)) return false;
    this.#tell({ kind: 'returned', lease, by });
    return true;
  }

  /** Borrowed seats, in the order they were lent. */
  borrows(): Lease[] {
    this.expire();
    return this.#pool.borrows();
  }

  /** Keeps a lease alive. */
  heartbeat(leaseId: string): HeartbeatResult {
    const result = this.#pool.heartbeat(leaseId);
    if (result.kind === 'renewed') this.#tell({ kind: 'renewed', lease: result.lease, via: 'heartbeat' });
    if (result.kind === 'expired') {
      this.#tell({ kind: 'expired', leaseId, detail: 'lapsed or its license expired (seen at heartbeat)' });
    }
    return result;
  }

  /** Gives a seat back (and blocks its client when asked). Returns false if the lease was not held. */
  release(leaseId: string, options: ReleaseOptions): boolean {
    const lease = this.#pool.get(leaseId);
    if (lease === undefined || !this.#pool.release(leaseId)) return false;
    const blockMs = options.blockMs ?? 0;
    if (blockMs > 0) this.#block(lease, this.#now() + blockMs);
    this.#tell({ kind: 'released', lease, by: options.by });
    return true;
  }

  /** The reaper: drops lapsed leases and returns them. */
  expire(): Lease[] {
    const reaped = this.#pool.expire();
    for (const lease of reaped) {
      const detail =
        lease.borrow !== undefined
          ? 'its borrowing ended'
          : lease.graceMs !== undefined
            ? "no heartbeat within the license's grace period"
            : 'no heartbeat within the lease TTL';
      this.#tell({ kind: 'expired', leaseId: lease.id, lease, detail });
    }
    return reaped;
  }

  /** Active leases, least recently renewed first. */
  leases(): Lease[] {
    this.expire();
    return this.#pool.leases();
  }

  /** Seats in use per license. */
  usage(): LicenseUsage[] {
    this.expire();
    return this.#pool.usage();
  }

  #block(lease: Lease, until: number): void {
    const now = this.#now();
    for (const [key, end] of this.#blocks) if (end <= now) this.#blocks.delete(key);
    // Keyed by the declared names alone: a block holds whatever address the client comes back from.
    const key = identityKeyOf(lease.product, lease.feature, lease.client, undefined);
    this.#blocks.delete(key);
    this.#blocks.set(key, until);
    if (this.#blocks.size > MAX_BLOCKS) {
      const oldest = this.#blocks.keys().next().value;
      if (oldest !== undefined) this.#blocks.delete(oldest);
    }
  }

  /** Until when `req`'s client is kept out, or `null`. */
  #blockedUntil(req: Pick<AcquireRequest, 'product' | 'feature' | 'client'>): number | null {
    if (this.#blocks.size === 0) return null;
    const key = identityKeyOf(req.product, req.feature ?? null, req.client, undefined);
    const until = this.#blocks.get(key);
    if (until === undefined) return null;
    if (until > this.#now()) return until;
    this.#blocks.delete(key);
    return null;
  }

  #tell(change: LeaseChange): void {
    for (const observer of this.#observers) {
      try {
        observer(change);
      } catch {
        // One failing observer must not break the service or keep the others uninformed.
      }
    }
  }
}
