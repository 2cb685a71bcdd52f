/**
 * The seat-counting core of the network License Manager: a pure, in-memory pool of floating
 * seats. No I/O; the clock is injected; expected outcomes are typed values.
 */

import { randomUUID } from 'node:crypto';
import { LictorError } from '@lictor/protocol';
import {
  borrowIdentityKeyOf,
  borrowSeatKeyOf,
  computerKeyOf,
  copyClient,
  countingUnitOf,
  identityKeyOf,
  leaseSeatKeyOf,
  seatKeyOf,
} from './counting.js';
import { LicenseSeats, type SeatComputer } from './license-seats.js';
import type {
  AcquireRefusal,
  AcquireRequest,
  AcquireResult,
  BorrowResult,
  BorrowSeatRequest,
  DroppedLease,
  DropReason,
  HeartbeatResult,
  Lease,
  LeasePoolOptions,
  LicenseUsage,
  PoolLicense,
  PoolSnapshot,
} from './types.js';

/** The pool's own, mutable view of a lease. */
type MutableLease = { -readonly [K in keyof Lease]: Lease[K] };

/** A lease with its index keys, computed once (their hashes are cached in the strings). */
interface Holding {
  readonly lease: MutableLease;
  readonly key: string;
  readonly seat: string;
  /** The computer it is held by (a session-limited server license serves one at a time). */
  readonly computer: SeatComputer;
  /** The reaper's queue it waits in: its time to live, or {@link BORROWED} for a borrowed seat. */
  queue: number;
}

/** The queue of borrowed seats (they end at their own `until`, not a time to live). */
const BORROWED = -1;
const DAY_MS = 86_400_000;

/** The computer of a client at `address` (see `computerKeyOf`). */
function computerOf(client: { host: string }, address: string | undefined): SeatComputer {
  return { key: computerKeyOf(client, address), host: client.host, address };
}

/** Whether `seats` is a session-limited server license held by another computer than `computer`. */
function elsewhere(seats: LicenseSeats, computer: SeatComputer): SeatComputer | undefined {
  return seats.license?.type === 'server-sessions' ? seats.heldElsewhere(computer.key) : undefined;
}

/** The refusal of a request whose session-limited server licenses serve `holder`'s server. */
function serverElsewhere(product: string, holder: SeatComputer): AcquireRefusal {
  const at = holder.address === undefined ? '' : ` (${holder.address})`;
  return {
    kind: 'server-elsewhere',
    reason: `this server license of '${product}' is in use by the server on ${holder.host}${at}; a session-limited server license serves one server computer: stop that server (its sessions come free when it ends them or they lapse), or run this server on ${holder.host}`,
    holder: { host: holder.host, ...(holder.address === undefined ? {} : { address: holder.address }) },
  };
}

/** Options of {@link LeasePool.restore}: the pool's options and the licenses served now. */
export interface RestoreOptions extends LeasePoolOptions {
  licenses: readonly PoolLicense[];
}

/** What {@link LeasePool.restore} gives back. */
export interface RestoreResult {
  pool: LeasePool;
  /** Leases not taken back, youngest first dropped when capacity is short. */
  dropped: DroppedLease[];
}

/** The seat the pool picked for a new lease, shown to a {@link SeatGate} before it is granted. */
export interface SeatChoice {
  licenseId: string;
  /** The counting unit the lease would hold in that license (see `seatKeyOf`). */
  seatKey: string;
  /** Whether the lease takes a product seat its unit does not hold yet. */
  newProductSeat: boolean;
  /** Whether the lease takes a seat of its feature its unit does not hold yet (false without a feature). */
  newFeatureSeat: boolean;
  /** Free product seats of the license before the grant. */
  productFree: number;
  /**
   * Free seats of a feature in the license before the grant: `null` when the license does not
   * count that feature, `undefined` when it does not include it.
   */
  featureFree(feature: string): number | null | undefined;
}

/**
 * A policy the pool consults for a request that needs a new lease, never for a renewal of a
 * lease the client holds. Either step may refuse; the pool then returns that refusal as is.
 */
export interface SeatGate {
  /** Before a license is looked for. */
  admit(): AcquireRefusal | null;
  /** With the seat the pool picked, before it is taken. */
  confirm(choice: SeatChoice): AcquireRefusal | null;
}

/** Told of every lease the pool grants and drops (released, lapsed, or its license expired). */
export interface LeaseObserver {
  granted(lease: Lease): void;
  dropped(lease: Lease): void;
}

/** Default time a lease lives without a heartbeat. */
export const DEFAULT_LEASE_TTL_MS = 60_000;

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function checkLicense(license: PoolLicense): void {
  const bad = (what: string): never => {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `pool license '${license.id}': ${what}`);
  };
  if (typeof license.id !== 'string' || license.id === '') bad('id must be a non-empty string');
  if (!isCount(license.seats)) bad('seats must be an integer ≥ 0');
  for (const f of license.features) if (f.users !== null && !isCount(f.users)) bad(`feature ${f.code}: bad users`);
  if (license.graceMs !== undefined && !(isCount(license.graceMs) && license.graceMs > 0)) {
    bad('graceMs must be a whole number of milliseconds > 0');
  }
  if (license.borrowDays !== undefined && !isCount(license.borrowDays)) bad('borrowDays must be an integer ≥ 0');
}

/**
 * Floating seats of the licenses a License Manager serves.
 *
 * Several licenses for the same product add up; software licenses are used before token
 * licenses. A seat counts the unit of its license type (see `countingUnitOf`). A
 * session-limited server license (`server-sessions`) serves one computer (`computerKeyOf`) at a
 * time: while one holds leases or a borrowed seat of it, others are refused (`server-elsewhere`)
 * or served by another license of the product. One client
 * identity holds at most one lease per product and feature: asking again renews it.
 * Leases lapse `leaseTtlMs` after their last heartbeat, or the license's grace period when it
 * is longer (`graceMs`); lapsed leases are reaped by {@link expire} and lazily by
 * {@link acquire}. Seats lent for offline use ({@link borrow}) need no heartbeat and end at their
 * own time. The reaper assumes the clock does not go backwards; if it does, leases lapse late,
 * never early.
 */
export class LeasePool {
  /** How long a lease lives without a heartbeat. */
  readonly leaseTtlMs: number;
  private readonly now: () => number;
  /** Lease id → lease (borrowed seats included). */
  private readonly byId = new Map<string, Holding>();
  /**
   * The reaper's queues: time to live → its leases in order of last heartbeat (oldest first), so
   * that each queue lapses from its old end. Licenses with a grace period longer than the pool's
   * TTL have a queue of their own.
   */
  private readonly queues = new Map<number, Map<string, Holding>>();
  /**
   * No lease of a reaper queue lapses before this (a lower bound: set at each reap from the
   * queues' oldest leases, lowered by every lease enqueued). The reaper looks at the queues only
   * once it is passed: starting a Map's iteration skips the entries deleted at its front (every
   * release and heartbeat deletes one), which cost an acquire ~0.6 µs with 1,000 leases held.
   */
  private nextLapse = Number.POSITIVE_INFINITY;
  /** Borrowed seats, which end at their own time. */
  private readonly borrowed = new Map<string, Holding>();
  /** The earliest end of a borrowed seat (the reaper looks at them only then). */
  private nextBorrowEnd = Number.POSITIVE_INFINITY;
  /** Identity key (product, feature, client) → its one lease. */
  private readonly byIdentity = new Map<string, Holding>();
  /** License id → seat accounting, including removed licenses still holding leases. */
  private readonly seats = new Map<string, LicenseSeats>();
  /** Product → served licenses in order of use (software first, then in order added). */
  private byProduct = new Map<string, LicenseSeats[]>();
  /** The observer of {@link observe}. */
  private observer: LeaseObserver | null = null;
  /** Observers of {@link addObserver}. */
  private readonly observers = new Set<LeaseObserver>();

  constructor(options: LeasePoolOptions) {
    const ttl = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!(ttl > 0)) throw new LictorError('LICTOR_E_INVALID_INPUT', 'leaseTtlMs must be positive');
    this.now = options.now;
    this.leaseTtlMs = ttl;
  }

  /**
   * Tells `observer` of every lease granted or dropped from now on (`null` stops); a second call
   * replaces the first one's observer. It starts from {@link leases} and must not call back into
   * the pool. Several observers at once: {@link addObserver}.
   */
  observe(observer: LeaseObserver | null): void {
    this.observer = observer;
  }

  /**
   * Tells `observer` of every lease granted or dropped from now on, besides the other
   * observers; returns a function that stops it. It must not call back into the pool.
   */
  addObserver(observer: LeaseObserver): () => void {
    this.observers.add(observer);
    return () => {
      this.observers.delete(observer);
    };
  }

  /** Serves `license`; a license with the same id is replaced (its leases stay). */
  addLicense(license: PoolLicense): void {
    this.serve(license);
    this.reindex();
  }

  /**
   * Stops serving a license: it grants no more seats. The leases of a software license stay
   * until released or lapsed; those of a token (dongle) license end at once, as with
   * {@link replaceLicenses}. Returns false if it was not served.
   */
  removeLicense(id: string): boolean {
    const tokens = new Set<string>();
    const removed = this.unserve(id, tokens);
    if (removed) this.reindex();
    this.endLeasesOf(tokens);
    return removed;
  }

  /**
   * Serves exactly `licenses` from now on (add, replace, remove by id). The leases of a software
   * license that left stay until released or lapsed; those of a token (dongle) license that left
   * end at once, since the token may be serving its seats from another manager by now. Returns
   * the leases ended (the observer is told of each).
   */
  replaceLicenses(licenses: readonly PoolLicense[]): Lease[] {
    const ids = new Set<string>();
    for (const license of licenses) {
      if (ids.has(license.id)) {
        throw new LictorError('LICTOR_E_INVALID_INPUT', `pool license '${license.id}' is listed twice`);
      }
      ids.add(license.id);
      checkLicense(license);
    }
    const tokens = new Set<string>();
    for (const id of [...this.seats.keys()]) if (!ids.has(id)) this.unserve(id, tokens);
    for (const license of licenses) this.serve(license);
    this.reindex();
    return this.endLeasesOf(tokens);
  }

  /**
   * Takes a seat for the client, or gives back the lease it already holds. A `gate` (access
   * rules) can refuse a new lease; a renewal never consults it.
   */
  acquire(req: AcquireRequest, gate?: SeatGate): AcquireResult {
    const now = this.now();
    this.reap(now, null);
    const feature = req.feature ?? null;
    const key = identityKeyOf(req.product, feature, req.client, req.address);

    let held = req.leaseId === undefined ? undefined : this.byId.get(req.leaseId);
    if (held !== undefined && held.key !== key) held = undefined;
    held ??= this.byIdentity.get(key);
    if (held !== undefined) {
      const seats = this.seats.get(held.lease.licenseId);
      if (!seats?.isExpired(now)) {
        this.touch(held, now, seats);
        return { kind: 'renewed', lease: held.lease };
      }
      this.drop(held);
    }
    const refused = gate?.admit() ?? null;
    if (refused !== null) return refused;

    let offered = 0;
    let unexpired = 0;
    let choice: LicenseSeats | undefined;
    let choiceSeat = '';
    const computer = computerOf(req.client, req.address);
    let holder: SeatComputer | undefined;
    for (const seats of this.byProduct.get(req.product) ?? []) {
      if (feature !== null && !seats.hasFeature(feature)) continue;
      offered++;
      if (seats.isExpired(now)) continue;
      unexpired++;
      const other = elsewhere(seats, computer);
      if (other !== undefined) {
        holder ??= other;
        continue;
      }
      const license = seats.license as PoolLicense;
      const unit = countingUnitOf(license.type);
      // A computer's seat is its computer key: built once per request, not again per license.
      const seatKey = unit === 'computer' ? computer.key : seatKeyOf(unit, req.client, req.address);
      if (!seats.canTake(feature, seatKey)) continue;
      if (seats.holdsProductSeat(seatKey)) {
        choice = seats;
        choiceSeat = seatKey;
        break;
      }
      if (choice === undefined) {
        choice = seats;
        choiceSeat = seatKey;
      }
    }

    if (choice !== undefined) {
      const picked = choice;
      const limited =
        gate?.confirm({
          licenseId: choice.id,
          seatKey: choiceSeat,
          newProductSeat: !choice.holdsProductSeat(choiceSeat),
          newFeatureSeat: feature !== null && !choice.holdsFeatureSeat(feature, choiceSeat),
          productFree: choice.productFree,
          featureFree: (f) => (picked.hasFeature(f) ? picked.featureFree(f) : undefined),
        }) ?? null;
      if (limited !== null) return limited;
      return { kind: 'granted', lease: this.grant(choice, choiceSeat, req, feature, key, computer, now) };
    }
    if (offered === 0) {
      const what = feature === null ? `product '${req.product}'` : `feature '${feature}' of product '${req.product}'`;
      return { kind: 'not-licensed', reason: `no license served for ${what}` };
    }
    if (unexpired === 0) return { kind: 'expired', reason: `every license for product '${req.product}' has expired` };
    if (holder !== undefined) return serverElsewhere(req.product, holder);
    const { inUse, total } = this.capacity(req.product, feature);
    return { kind: 'exhausted', inUse, total };
  }

  /**
   * Lends a seat to one computer for `req.days` days: it needs no heartbeat, counts as held until
   * its `until` (the license's end, if sooner) or until given back ({@link endBorrow}), and holds a
   * seat of its own (the computer's, see `borrowSeatKeyOf`). Only software licenses whose
   * `borrowDays` reach `req.days` lend (a token may leave the manager, and the seat with it). A
   * computer holds at most one borrowed seat per product and feature. A `gate` judges it like a
   * new lease.
   */
  borrow(req: BorrowSeatRequest, gate?: SeatGate): BorrowResult {
    const now = this.now();
    this.reap(now, null);
    const feature = req.feature ?? null;
    const key = borrowIdentityKeyOf(req.product, feature, req.computer.machine);
    const held = this.byIdentity.get(key);
    if (held !== undefined) return { kind: 'held', lease: held.lease };
    const refused = gate?.admit() ?? null;
    if (refused !== null) return refused;

    const seatKey = borrowSeatKeyOf(req.computer.machine);
    const computer = computerOf(req.client, req.address);
    let holder: SeatComputer | undefined;
    let offered = 0;
    let unexpired = 0;
    let maxDays = 0;
    let lendable = 0;
    let choice: LicenseSeats | undefined;
    for (const seats of this.byProduct.get(req.product) ?? []) {
      if (feature !== null && !seats.hasFeature(feature)) continue;
      offered++;
      if (seats.isExpired(now)) continue;
      unexpired++;
      const license = seats.license as PoolLicense;
      const days = license.source === 'software' ? (license.borrowDays ?? 0) : 0;
      maxDays = Math.max(maxDays, days);
      if (days < req.days) continue;
      lendable++;
      const other = elsewhere(seats, computer);
      if (other !== undefined) {
        holder ??= other;
        continue;
      }
      if (choice === undefined && seats.canTake(feature, seatKey)) choice = seats;
    }
    const what = feature === null ? `product '${req.product}'` : `feature '${feature}' of product '${req.product}'`;
    if (choice !== undefined) {
      const picked = choice;
      const limited =
        gate?.confirm({
          licenseId: choice.id,
          seatKey,
          newProductSeat: !choice.holdsProductSeat(seatKey),
          newFeatureSeat: feature !== null && !choice.holdsFeatureSeat(feature, seatKey),
          productFree: choice.productFree,
          featureFree: (f) => (picked.hasFeature(f) ? picked.featureFree(f) : undefined),
        }) ?? null;
      if (limited !== null) return limited;
      return { kind: 'borrowed', lease: this.lend(choice, seatKey, req, feature, key, computer, now) };
    }
    if (offered === 0) return { kind: 'not-licensed', reason: `no license served for ${what}` };
    if (unexpired === 0) return { kind: 'expired', reason: `every license for product '${req.product}' has expired` };
    if (lendable === 0) {
      return {
        kind: 'not-allowed',
        maxDays,
        reason:
          maxDays === 0
            ? `no license served for ${what} allows borrowing its seats`
            : `a seat of ${what} may be borrowed for at most ${maxDays} day(s), not ${req.days}`,
      };
    }
    if (holder !== undefined) return serverElsewhere(req.product, holder);
    const { inUse, total } = this.capacity(req.product, feature);
    return { kind: 'exhausted', inUse, total };
  }

  /**
   * Seats of `product` (or of its `feature`) over the unexpired licenses that serve it: `inUse`
   * and `total` of the scarcer of product and feature seats, as in an `exhausted` answer, and
   * `free`, how many more counting units could take a lease.
   */
  capacity(product: string, feature: string | null): { inUse: number; total: number; free: number } {
    const now = this.now();
    let inUse = 0;
    let total = 0;
    let free = 0;
    for (const seats of this.byProduct.get(product) ?? []) {
      if ((feature !== null && !seats.hasFeature(feature)) || seats.isExpired(now)) continue;
      const s = seats.scarcest(feature);
      inUse += s.inUse;
      total += s.total;
      free += seats.free(feature);
    }
    return { inUse, total, free };
  }

  /** Keeps a lease alive. A lapsed lease, or one whose license expired, is dropped. */
  heartbeat(leaseId: string): HeartbeatResult {
    const held = this.byId.get(leaseId);
    // A borrowed seat is not kept alive by heartbeats: it ends at its time, or when given back.
    if (held === undefined || held.queue === BORROWED) return { kind: 'unknown' };
    const now = this.now();
    const seats = this.seats.get(held.lease.licenseId);
    if (now > held.lease.expiresAt || seats?.isExpired(now)) {
      this.drop(held);
      return { kind: 'expired' };
    }
    this.touch(held, now, seats);
    return { kind: 'renewed', lease: held.lease };
  }

  /** Gives a seat back. Returns false if the lease was not held (a borrowed seat: {@link endBorrow}). */
  release(leaseId: string): boolean {
    const held = this.byId.get(leaseId);
    if (held === undefined || held.queue === BORROWED) return false;
    this.drop(held);
    return true;
  }

  /** Ends a borrowed seat before its time (given back). Returns false if it was not held. */
  endBorrow(leaseId: string): boolean {
    const held = this.borrowed.get(leaseId);
    if (held === undefined) return false;
    this.drop(held);
    return true;
  }

  /** The reaper: drops the leases whose last heartbeat is older than the TTL and returns them. */
  expire(): Lease[] {
    const reaped: Lease[] = [];
    this.reap(this.now(), reaped);
    return reaped;
  }

  /** The active lease or borrowed seat `leaseId`, or `undefined`; O(1). */
  get(leaseId: string): Lease | undefined {
    return this.byId.get(leaseId)?.lease;
  }

  /** Active leases (not borrowed seats), least recently renewed first. */
  leases(): Lease[] {
    const queues = [...this.queues.values()];
    if (queues.length === 1) return Array.from(queues[0] as Map<string, Holding>, ([, h]) => h.lease);
    const all: Lease[] = [];
    for (const queue of queues) for (const h of queue.values()) all.push(h.lease);
    return all.sort((a, b) => a.heartbeatAt - b.heartbeatAt);
  }

  /** Borrowed seats, in the order they were lent. */
  borrows(): Lease[] {
    return Array.from(this.borrowed.values(), (h) => h.lease);
  }

  /** Number of active leases and borrowed seats. */
  get size(): number {
    return this.byId.size;
  }

  /** How long a lease of `license` lives without a heartbeat: the pool's TTL, or the license's longer grace. */
  ttlOf(license: PoolLicense | null): number {
    const grace = license?.graceMs ?? 0;
    return grace > this.leaseTtlMs ? grace : this.leaseTtlMs;
  }

  /** Seats in use per license, including removed licenses that still hold leases. */
  usage(): LicenseUsage[] {
    return [...this.seats.values()].map((s) => s.usage());
  }

  /** The leases as plain JSON, to persist and {@link restore} after a restart. */
  snapshot(): PoolSnapshot {
    return {
      format: 'lictor-lease-pool',
      version: 1,
      takenAt: this.now(),
      leases: Array.from(this.byId.values(), ({ lease }) => ({ ...lease, client: copyClient(lease.client) })),
    };
  }

  /**
   * The text of `JSON.stringify(snapshot())` in pieces of at most `leasesPerPiece` leases, made
   * as they are asked for: writing 100,000 leases then never blocks the event loop for long nor
   * builds one string of the whole file. The leases written are those held when the first piece
   * is asked for; a lease renewed or released meanwhile is written as it is when its piece is made.
   */
  *snapshotJson(leasesPerPiece = 500): Generator<string> {
    const leases = Array.from(this.byId.values(), (h) => h.lease);
    yield `{"format":"lictor-lease-pool","version":1,"takenAt":${this.now()},"leases":[`;
    for (let i = 0; i < leases.length; i += leasesPerPiece) {
      const piece = JSON.stringify(leases.slice(i, i + leasesPerPiece)).slice(1, -1);
      yield i === 0 ? piece : `,${piece}`;
    }
    yield ']}';
  }

  /**
   * A pool serving `options.licenses` with the leases of `snapshot` that still fit. Leases are
   * taken back oldest grant first, so the youngest are dropped when capacity is short; leases
   * that lapsed, lost their license or feature, or repeat an id or identity are dropped too.
   */
  static restore(snapshot: PoolSnapshot, options: RestoreOptions): RestoreResult {
    if (snapshot.format !== 'lictor-lease-pool' || snapshot.version !== 1) {
      throw new LictorError('LICTOR_E_FILE_FORMAT', 'not a version 1 lease pool snapshot');
    }
    const pool = new LeasePool(options);
    pool.replaceLicenses(options.licenses);
    const now = pool.now();
    const dropped: DroppedLease[] = [];
    const admitted: Holding[] = [];
    // Borrowed seats first: they are out on their computers, and a shortage drops leases instead.
    const oldestFirst = [...snapshot.leases].sort(
      (a, b) => Number(a.borrow === undefined) - Number(b.borrow === undefined) || a.grantedAt - b.grantedAt,
    );
    for (const old of oldestFirst) {
      const refuse = (reason: DropReason) => dropped.push({ lease: old, reason });
      const seats = pool.seats.get(old.licenseId);
      const license = seats?.license ?? null;
      const ttl = pool.ttlOf(license);
      if (old.borrow === undefined ? now - old.heartbeatAt > ttl : now > old.borrow.until) {
        refuse('lease-expired');
        continue;
      }
      const licensed =
        license?.product === old.product && (old.feature === null || seats?.hasFeature(old.feature) === true);
      if (seats === undefined || license === null || !licensed) {
        refuse('no-license');
        continue;
      }
      if (seats.isExpired(now)) {
        refuse('license-expired');
        continue;
      }
      const key =
        old.borrow === undefined
          ? identityKeyOf(old.product, old.feature, old.client, old.address)
          : borrowIdentityKeyOf(old.product, old.feature, old.borrow.computer.machine);
      if (pool.byId.has(old.id) || pool.byIdentity.has(key)) {
        refuse('duplicate');
        continue;
      }
      const countedAs = old.borrow === undefined ? countingUnitOf(license.type) : 'computer';
      const { graceMs: _grace, ...rest } = old;
      const lease: MutableLease = {
        ...rest,
        client: copyClient(old.client),
        source: license.source,
        countedAs,
        expiresAt: old.borrow === undefined ? old.heartbeatAt + ttl : old.borrow.until,
        ...(old.borrow === undefined && ttl > pool.leaseTtlMs ? { graceMs: ttl } : {}),
      };
      const seatKey = leaseSeatKeyOf(lease);
      const computer = computerOf(lease.client, lease.address);
      if (elsewhere(seats, computer) !== undefined) {
        refuse('other-computer');
        continue;
      }
      if (!seats.canTake(old.feature, seatKey)) {
        refuse('over-capacity');
        continue;
      }
      seats.take(lease.feature, seatKey, computer);
      const held: Holding = {
        lease,
        key,
        seat: seatKey,
        computer,
        queue: lease.borrow === undefined ? ttl : BORROWED,
      };
      pool.byId.set(lease.id, held);
      pool.byIdentity.set(key, held);
      admitted.push(held);
    }
    // Each reaper queue must be in heartbeat order.
    for (const held of admitted.sort((a, b) => a.lease.heartbeatAt - b.lease.heartbeatAt)) pool.enqueue(held);
    return { pool, dropped };
  }

  private grant(
    seats: LicenseSeats,
    seatKey: string,
    req: AcquireRequest,
    feature: string | null,
    key: string,
    computer: SeatComputer,
    now: number,
  ): Lease {
    const license = seats.license as PoolLicense;
    const ttl = this.ttlOf(license);
    const lease: MutableLease = {
      id: randomUUID(),
      product: req.product,
      feature,
      licenseId: license.id,
      source: license.source,
      countedAs: countingUnitOf(license.type),
      client: copyClient(req.client),
      grantedAt: now,
      heartbeatAt: now,
      expiresAt: now + ttl,
    };
    // Assigned rather than spread into the literal: a spread copies through the runtime and
    // allocates an object for each, for every lease granted.
    if (req.address !== undefined) lease.address = req.address;
    if (ttl > this.leaseTtlMs) lease.graceMs = ttl;
    return this.add(seats, { lease, key, seat: seatKey, computer, queue: ttl });
  }

  /** A borrowed seat of `seats`' license for `req`'s computer. */
  private lend(
    seats: LicenseSeats,
    seatKey: string,
    req: BorrowSeatRequest,
    feature: string | null,
    key: string,
    computer: SeatComputer,
    now: number,
  ): Lease {
    const license = seats.license as PoolLicense;
    const until = Math.min(now + req.days * DAY_MS, license.expiresAt ?? Number.POSITIVE_INFINITY);
    const lease: MutableLease = {
      id: randomUUID(),
      product: req.product,
      feature,
      licenseId: license.id,
      source: license.source,
      countedAs: 'computer',
      client: copyClient(req.client),
      grantedAt: now,
      heartbeatAt: now,
      expiresAt: until,
      ...(req.address === undefined ? {} : { address: req.address }),
      borrow: {
        until,
        computer: { machine: req.computer.machine, hardware: req.computer.hardware },
        returnKey: req.returnKey,
        ...(license.serial === undefined ? {} : { serial: license.serial }),
      },
    };
    return this.add(seats, { lease, key, seat: seatKey, computer, queue: BORROWED });
  }

  /** Takes the seat of a new lease or borrowed seat, indexes it and tells the observers. */
  private add(seats: LicenseSeats, held: Holding): Lease {
    const { lease } = held;
    seats.take(lease.feature, held.seat, held.computer);
    this.byId.set(lease.id, held);
    this.byIdentity.set(held.key, held);
    this.enqueue(held);
    this.observer?.granted(lease);
    for (const o of this.observers) o.granted(lease);
    return lease;
  }

  /** Puts `held` at the young end of its reaper queue. */
  private enqueue(held: Holding): void {
    if (held.queue === BORROWED) {
      this.borrowed.set(held.lease.id, held);
      this.nextBorrowEnd = Math.min(this.nextBorrowEnd, held.lease.expiresAt);
      return;
    }
    let queue = this.queues.get(held.queue);
    if (queue === undefined) {
      queue = new Map();
      this.queues.set(held.queue, queue);
    }
    queue.set(held.lease.id, held);
    if (held.lease.expiresAt < this.nextLapse) this.nextLapse = held.lease.expiresAt;
  }

  private dequeue(held: Holding): void {
    if (held.queue === BORROWED) {
      this.borrowed.delete(held.lease.id);
      return;
    }
    const queue = this.queues.get(held.queue);
    queue?.delete(held.lease.id);
    if (queue?.size === 0) this.queues.delete(held.queue);
  }

  /**
   * Renews a lease and moves it to the young end of its reaper queue; its time to live follows
   * the license's grace period as served now (a license removed keeps the last one).
   */
  private touch(held: Holding, now: number, seats = this.seats.get(held.lease.licenseId)): void {
    const license = seats?.license ?? null;
    const ttl = license === null ? held.queue : this.ttlOf(license);
    const { lease } = held;
    lease.heartbeatAt = now;
    lease.expiresAt = now + ttl;
    const queue = ttl === held.queue ? this.queues.get(ttl) : undefined;
    if (queue !== undefined) {
      // The usual case: the same queue, young end.
      queue.delete(lease.id);
      queue.set(lease.id, held);
      return;
    }
    this.dequeue(held);
    held.queue = ttl;
    if (ttl > this.leaseTtlMs) lease.graceMs = ttl;
    else if (lease.graceMs !== undefined) delete lease.graceMs;
    this.enqueue(held);
  }

  private drop(held: Holding): void {
    const { lease, key } = held;
    this.byId.delete(lease.id);
    this.dequeue(held);
    if (this.byIdentity.get(key) === held) this.byIdentity.delete(key);
    this.observer?.dropped(lease);
    for (const o of this.observers) o.dropped(lease);
    const seats = this.seats.get(lease.licenseId);
    if (seats === undefined) return;
    seats.give(lease.feature, held.seat, held.computer.key);
    if (seats.license === null && seats.leaseCount === 0) this.seats.delete(seats.id);
  }

  /**
   * Drops lapsed leases from the old end of each queue (O(number dropped + queues)), and the
   * borrowed seats whose time has come (a pass over them only then).
   */
  private reap(now: number, into: Lease[] | null): void {
    if (now > this.nextLapse) {
      let next = Number.POSITIVE_INFINITY;
      // Deleting entries (an emptied queue, a lapsed lease) while iterating a Map is safe.
      for (const queue of this.queues.values()) {
        for (const held of queue.values()) {
          if (now <= held.lease.expiresAt) {
            if (held.lease.expiresAt < next) next = held.lease.expiresAt;
            break;
          }
          this.drop(held);
          into?.push(held.lease);
        }
      }
      this.nextLapse = next;
    }
    if (now <= this.nextBorrowEnd) return;
    let next = Number.POSITIVE_INFINITY;
    for (const held of [...this.borrowed.values()]) {
      if (now > held.lease.expiresAt) {
        this.drop(held);
        into?.push(held.lease);
      } else next = Math.min(next, held.lease.expiresAt);
    }
    this.nextBorrowEnd = next;
  }

  private serve(license: PoolLicense): void {
    checkLicense(license);
    const frozen: PoolLicense = { ...license, features: license.features.map((f) => ({ ...f })) };
    const seats = this.seats.get(license.id);
    if (seats === undefined) this.seats.set(license.id, new LicenseSeats(license.id, frozen));
    else seats.serve(frozen);
  }

  /** Stops serving license `id`; adds it to `tokens` if it is a token license still holding leases. */
  private unserve(id: string, tokens: Set<string>): boolean {
    const seats = this.seats.get(id);
    if (seats === undefined || seats.license === null) return false;
    if (seats.license.source === 'token' && seats.leaseCount > 0) tokens.add(id);
    seats.serve(null);
    if (seats.leaseCount === 0) this.seats.delete(id);
    return true;
  }

  /** Drops the leases of the licenses `ids`: one pass over the leases, only when there are any. */
  private endLeasesOf(ids: ReadonlySet<string>): Lease[] {
    const ended: Lease[] = [];
    if (ids.size === 0) return ended;
    for (const held of this.byId.values()) {
      if (!ids.has(held.lease.licenseId)) continue;
      this.drop(held);
      ended.push(held.lease);
    }
    return ended;
  }

  private reindex(): void {
    const byProduct = new Map<string, LicenseSeats[]>();
    for (const seats of this.seats.values()) {
      const license = seats.license;
      if (license === null) continue;
      const list = byProduct.get(license.product) ?? [];
      list.push(seats);
      byProduct.set(license.product, list);
    }
    for (const list of byProduct.values()) {
      list.sort((a, b) => Number(a.source === 'token') - Number(b.source === 'token'));
    }
    this.byProduct = byProduct;
  }
}
