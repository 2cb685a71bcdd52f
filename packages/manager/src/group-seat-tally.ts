/**
 * Seats held by the clients each `reserve` and `max` rule names, kept up to date as leases are
 * granted and dropped, so that a seat decision costs a few map lookups per rule instead of a
 * walk over every lease. Pure: a `LeaseObserver` of one pool, built for one set of rules.
 */

import type { AccessRule, AccessRules } from './access-rules.js';
import { isMember } from './access-rules.js';
import { seatKeyOf } from './counting.js';
import { type IpAddress, parseAddress } from './ip-cidr.js';
import type { LeaseObserver } from './lease-pool.js';
import type { Lease } from './types.js';

/** One seat of one license: what a group holds. Equal keys are the same seat. */
export function seatUnitOf(licenseId: string, seatKey: string): string {
  return `${licenseId.length}:${licenseId}${seatKey}`;
}

/**
 * For each `reserve` and `max` rule and each product it covers, the seats (license and counting
 * unit) held by leases of clients the rule names, within the rule's scope (the product, or one
 * feature of it), with how many such leases hold each seat.
 */
export class GroupSeatTally implements LeaseObserver {
  private readonly limits: readonly AccessRule[];
  /** Rule → product → seat unit → leases of members holding it. */
  private readonly seats = new Map<AccessRule, Map<string, Map<string, number>>>();

  /** Counts `leases` (the pool's leases now) under `rules`. */
  constructor(
    readonly rules: AccessRules,
    leases: Iterable<Lease>,
  ) {
    this.limits = rules.rules.filter((r) => r.action === 'reserve' || r.action === 'max');
    for (const lease of leases) this.granted(lease);
  }

  /** A lease was granted (or counted at the start). */
  granted(lease: Lease): void {
    this.count(lease, 1);
  }

  /** A lease was dropped. */
  dropped(lease: Lease): void {
    this.count(lease, -1);
  }

  /** How many seats of `product` the clients named by `rule` hold in its scope. */
  held(rule: AccessRule, product: string): number {
    return this.seats.get(rule)?.get(product)?.size ?? 0;
  }

  /** Whether those clients already hold seat `unit` (from {@link seatUnitOf}) of `product`. */
  holds(rule: AccessRule, product: string, unit: string): boolean {
    return this.seats.get(rule)?.get(product)?.has(unit) === true;
  }

  private count(lease: Lease, delta: 1 | -1): void {
    let address: IpAddress | null | undefined;
    let unit: string | undefined;
    for (const rule of this.limits) {
      if (rule.product !== '*' && rule.product !== lease.product) continue;
      if (rule.feature !== null && rule.feature !== lease.feature) continue;
      if (address === undefined) address = typeof lease.address === 'string' ? parseAddress(lease.address) : null;
      if (!isMember(rule.members, lease.client, address)) continue;
      unit ??= seatUnitOf(lease.licenseId, seatKeyOf(lease.countedAs, lease.client, lease.address));
      let byProduct = this.seats.get(rule);
      if (byProduct === undefined) {
        byProduct = new Map();
        this.seats.set(rule, byProduct);
      }
      let units = byProduct.get(lease.product);
      if (units === undefined) {
        units = new Map();
        byProduct.set(lease.product, units);
      }
      const n = (units.get(unit) ?? 0) + delta;
      if (n > 0) units.set(unit, n);
      else units.delete(unit);
    }
  }
}
