/**
 * The seats of one license: which counting units hold its product seats and its feature
 * seats, with reference counts so several leases sharing a unit (two applications on one
 * computer under a single-user license) hold one seat.
 */

import type { FeatureUsage, LicenseSource, LicenseUsage, PoolLicense } from './types.js';

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = counts.get(key) ?? 0;
  if (n <= 1) counts.delete(key);
  else counts.set(key, n - 1);
}

/** A computer holding seats of a license: its key (see `computerKeyOf`), name and address. */
export interface SeatComputer {
  readonly key: string;
  readonly host: string;
  readonly address: string | undefined;
}

/**
 * Seat accounting of one license id. It outlives the removal of its license while leases
 * still hold seats; a removed license has no capacity, so it grants nothing more.
 */
export class LicenseSeats {
  /** The license as currently served, or `null` once removed. */
  private served: PoolLicense | null = null;
  /** Feature code → its `users` in the served license. */
  private featureLimits = new Map<string, number | null>();
  /** Seat key → number of leases holding that product seat. */
  private readonly productSeats = new Map<string, number>();
  /** Feature code → seat key → number of leases holding that feature seat. */
  private readonly featureSeats = new Map<string, Map<string, number>>();
  /** Computer key → the computer and the number of leases (borrowed seats too) it holds. */
  private readonly computers = new Map<string, { computer: SeatComputer; leases: number }>();
  /** Product, source and serial as last served, for usage reports after removal. */
  product: string;
  source: LicenseSource;
  serial: string | null;
  /** Leases taken from this license. */
  leaseCount = 0;

  constructor(
    readonly id: string,
    license: PoolLicense,
  ) {
    this.product = license.product;
    this.source = license.source;
    this.serial = license.serial ?? null;
    this.serve(license);
  }

  /** The license as currently served, or `null` once removed. */
  get license(): PoolLicense | null {
    return this.served;
  }

  /** Serves `license` (a new version of the same id), or stops serving it with `null`. */
  serve(license: PoolLicense | null): void {
    this.served = license;
    this.featureLimits = new Map(license?.features.map((f) => [f.code, f.users]) ?? []);
    if (license !== null) {
      this.product = license.product;
      this.source = license.source;
      this.serial = license.serial ?? null;
    }
  }

  /** Whether the served license is expired at `now`. */
  isExpired(now: number): boolean {
    const at = this.served?.expiresAt ?? null;
    return at !== null && now > at;
  }

  /** Whether the served license includes `feature`. */
  hasFeature(feature: string): boolean {
    return this.featureLimits.has(feature);
  }

  /** Whether the unit `seatKey` already holds a product seat (so taking one more is free). */
  holdsProductSeat(seatKey: string): boolean {
    return this.productSeats.has(seatKey);
  }

  /** Whether the unit `seatKey` already holds a seat of `feature`. */
  holdsFeatureSeat(feature: string, seatKey: string): boolean {
    return this.featureSeats.get(feature)?.has(seatKey) === true;
  }

  /** Product seats not held by any unit (0 once removed or over-allocated). */
  get productFree(): number {
    return Math.max(0, this.total - this.inUse);
  }

  /** Seats of `feature` not held by any unit, or `null` when the feature is not counted or absent. */
  featureFree(feature: string): number | null {
    const users = this.featureLimits.get(feature);
    if (users === undefined || users === null) return null;
    return Math.max(0, users - (this.featureSeats.get(feature)?.size ?? 0));
  }

  /** How many more units could take a lease for `feature` (or the product alone). */
  free(feature: string | null): number {
    if (feature === null) return this.productFree;
    if (!this.featureLimits.has(feature)) return 0;
    return Math.min(this.productFree, this.featureFree(feature) ?? Number.POSITIVE_INFINITY);
  }

  /** Whether a lease for `feature` (or the product alone) by unit `seatKey` fits the capacity. */
  canTake(feature: string | null, seatKey: string): boolean {
    const license = this.served;
    if (license === null) return false;
    if (!this.productSeats.has(seatKey) && this.productSeats.size >= license.seats) return false;
    if (feature === null) return true;
    const users = this.featureLimits.get(feature);
    if (users === undefined) return false;
    if (users === null) return true;
    const held = this.featureSeats.get(feature);
    return (held?.size ?? 0) < users || held?.has(seatKey) === true;
  }

  /**
   * A computer other than `computerKey` that holds leases of this license, or `undefined`: a
   * session-limited server license (`server-sessions`) serves one computer at a time.
   */
  heldElsewhere(computerKey: string): SeatComputer | undefined {
    if (this.computers.has(computerKey)) return undefined;
    for (const { computer } of this.computers.values()) return computer;
    return undefined;
  }

  /** Records a lease of unit `seatKey` on `computer`; the caller checked {@link canTake}. */
  take(feature: string | null, seatKey: string, computer: SeatComputer): void {
    this.leaseCount++;
    const on = this.computers.get(computer.key);
    if (on === undefined) this.computers.set(computer.key, { computer, leases: 1 });
    else on.leases++;
    increment(this.productSeats, seatKey);
    if (feature === null) return;
    let held = this.featureSeats.get(feature);
    if (held === undefined) {
      held = new Map();
      this.featureSeats.set(feature, held);
    }
    increment(held, seatKey);
  }

  /** Forgets a lease recorded by {@link take}. */
  give(feature: string | null, seatKey: string, computerKey: string): void {
    this.leaseCount--;
    const on = this.computers.get(computerKey);
    if (on !== undefined && --on.leases === 0) this.computers.delete(computerKey);
    decrement(this.productSeats, seatKey);
    if (feature === null) return;
    const held = this.featureSeats.get(feature);
    if (held === undefined) return;
    decrement(held, seatKey);
    if (held.size === 0) this.featureSeats.delete(feature);
  }

  /** Product seats in use. */
  get inUse(): number {
    return this.productSeats.size;
  }

  /** Product seats of the served license; 0 once removed. */
  get total(): number {
    return this.served?.seats ?? 0;
  }

  /** Seats in use and total of the scarcer resource a lease for `feature` needs. */
  scarcest(feature: string | null): { inUse: number; total: number } {
    const product = { inUse: this.inUse, total: this.total };
    if (feature === null) return product;
    const users = this.featureLimits.get(feature);
    if (users === undefined || users === null) return product;
    const counted = { inUse: this.featureSeats.get(feature)?.size ?? 0, total: users };
    return counted.total - counted.inUse < product.total - product.inUse ? counted : product;
  }

  /** Usage report of this license. */
  usage(): LicenseUsage {
    const codes = new Set([...this.featureLimits.keys(), ...this.featureSeats.keys()]);
    const features: FeatureUsage[] = [...codes].map((code) => ({
      code,
      inUse: this.featureSeats.get(code)?.size ?? 0,
      total: this.featureLimits.has(code) ? (this.featureLimits.get(code) ?? null) : 0,
    }));
    return {
      product: this.product,
      licenseId: this.id,
      serial: this.serial,
      inUse: this.inUse,
      total: this.total,
      source: this.source,
      features,
    };
  }
}
