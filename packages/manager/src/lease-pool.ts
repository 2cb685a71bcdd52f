/**
 * The seat-counting core of the network License Manager: a pure, in-memory pool of floating
 * seats. No I/O; the clock is injected; expected outcomes are typed values.
 */

import { randomUUID } from 'node:crypto';
import { LictorError } from '@lictor/protocol';
import { copyClient, countingUnitOf, identityKeyOf, seatKeyOf } from './counting.js';
import { LicenseSeats } from './license-seats.js';
import type {
  AcquireRefusal,
  AcquireRequest,
  AcquireResult,
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
}

/**
 * Floating seats of the licenses a License Manager serves.
 *
 * Several licenses for the same product add up; software licenses are used before token
 * licenses. A seat counts the unit of its license type (see `countingUnitOf`). One client
 * identity holds at most one lease per product and feature: asking again renews it.
 * Leases lapse `leaseTtlMs` after their last heartbeat; lapsed leases are reaped by
 * {@link expire} and lazily by {@link acquire}. The reaper assumes the clock does not go
 * backwards; if it does, leases lapse late, never early.
 */
export class LeasePool {
  /** How long a lease lives without a heartbeat. */
  readonly leaseTtlMs: number;
  private readonly now: () => number;
  /** Lease id → lease, in order of last heartbeat (oldest first): the reaper's queue. */
  private readonly byId = new Map<string, Holding>();
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
      if (!this.seats.get(held.lease.licenseId)?.isExpired(now)) {
        this.touch(held, now);
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
    for (const seats of this.byProduct.get(req.product) ?? []) {
      if (feature !== null && !seats.hasFeature(feature)) continue;
      offered++;
      if (seats.isExpired(now)) continue;
      unexpired++;
      const license = seats.license as PoolLicense;
      const seatKey = seatKeyOf(countingUnitOf(license.type), req.client, req.address);
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
      return { kind: 'granted', lease: this.grant(choice, choiceSeat, req, feature, key, now) };
    }
    if (offered === 0) {
      const what = feature === null ? `product '${req.product}'` : `feature '${feature}' of product '${req.product}'`;
      return { kind: 'not-licensed', reason: `no license served for ${what}` };
    }
    if (unexpired === 0) return { kind: 'expired', reason: `every license for product '${req.product}' has expired` };
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
    if (held === undefined) return { kind: 'unknown' };
    const now = this.now();
    if (now > held.lease.expiresAt || this.seats.get(held.lease.licenseId)?.isExpired(now)) {
      this.drop(held);
      return { kind: 'expired' };
    }
    this.touch(held, now);
    return { kind: 'renewed', lease: held.lease };
  }

  /** Gives a seat back. Returns false if the lease was not held. */
  release(leaseId: string): boolean {
    const held = this.byId.get(leaseId);
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

  /** The active lease `leaseId`, or `undefined`; O(1). */
  get(leaseId: string): Lease | undefined {
    return this.byId.get(leaseId)?.lease;
  }

  /** Active leases, least recently renewed first. */
  leases(): Lease[] {
    return Array.from(this.byId.values(), (h) => h.lease);
  }

  /** Number of active leases. */
  get size(): number {
    return this.byId.size;
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
    const oldestFirst = [...snapshot.leases].sort((a, b) => a.grantedAt - b.grantedAt);
    for (const old of oldestFirst) {
      const refuse = (reason: DropReason) => dropped.push({ lease: old, reason });
      if (now - old.heartbeatAt > pool.leaseTtlMs) {
        refuse('lease-expired');
        continue;
      }
      const seats = pool.seats.get(old.licenseId);
      const license = seats?.license ?? null;
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
      const key = identityKeyOf(old.product, old.feature, old.client, old.address);
      if (pool.byId.has(old.id) || pool.byIdentity.has(key)) {
        refuse('duplicate');
        continue;
      }
      const countedAs = countingUnitOf(license.type);
      const seatKey = seatKeyOf(countedAs, old.client, old.address);
      if (!seats.canTake(old.feature, seatKey)) {
        refuse('over-capacity');
        continue;
      }
      const lease: MutableLease = {
        ...old,
        client: copyClient(old.client),
        source: license.source,
        countedAs,
        expiresAt: old.heartbeatAt + pool.leaseTtlMs,
      };
      seats.take(lease.feature, seatKey);
      const held: Holding = { lease, key, seat: seatKey };
      pool.byId.set(lease.id, held);
      pool.byIdentity.set(key, held);
      admitted.push(held);
    }
    // The reaper's queue must be in heartbeat order.
    pool.byId.clear();
    for (const held of admitted.sort((a, b) => a.lease.heartbeatAt - b.lease.heartbeatAt))
      pool.byId.set(held.lease.id, held);
    return { pool, dropped };
  }

  private grant(
    seats: LicenseSeats,
    seatKey: string,
    req: AcquireRequest,
    feature: string | null,
    key: string,
    now: number,
  ): Lease {
    const license = seats.license as PoolLicense;
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
      expiresAt: now + this.leaseTtlMs,
      ...(req.address === undefined ? {} : { address: req.address }),
    };
    seats.take(feature, seatKey);
    const held: Holding = { lease, key, seat: seatKey };
    this.byId.set(lease.id, held);
    this.byIdentity.set(key, held);
    this.observer?.granted(lease);
    for (const o of this.observers) o.granted(lease);
    return lease;
  }

  /** Renews a lease and moves it to the young end of the reaper's queue. */
  private touch(held: Holding, now: number): void {
    held.lease.heartbeatAt = now;
    held.lease.expiresAt = now + this.leaseTtlMs;
    this.byId.delete(held.lease.id);
    this.byId.set(held.lease.id, held);
  }

  private drop(held: Holding): void {
    const { lease, key } = held;
    this.byId.delete(lease.id);
    if (this.byIdentity.get(key) === held) this.byIdentity.delete(key);
    this.observer?.dropped(lease);
    for (const o of this.observers) o.dropped(lease);
    const seats = this.seats.get(lease.licenseId);
    if (seats === undefined) return;
    seats.give(lease.feature, held.seat);
    if (seats.license === null && seats.leaseCount === 0) this.seats.delete(seats.id);
  }

  /** Drops lapsed leases from the old end of the queue; O(number dropped). */
  private reap(now: number, into: Lease[] | null): void {
    for (const held of this.byId.values()) {
      if (now <= held.lease.expiresAt) return;
      this.drop(held);
      into?.push(held.lease);
    }
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
