/**
 * The per-address cap (`maxSeatsPerAddress` of `LicenseManager.open` and `openManager`,
 * `lictor manager serve --max-seats-per-address N`):
 * one client address may hold at most N seats of a product, whatever names its clients declare.
 * Names are the client's own choice, so behind one address (a NAT gateway, or one computer
 * claiming many names) they could otherwise take every per-computer seat. Off unless set.
 *
 * {@link AddressSeats} observes the pool (a pool observer, like the access rules'
 * `GroupSeatTally`: the pool stays pure) and keeps, per address and product, the seats (license
 * and counting unit) its leases hold; the `LeaseService` puts {@link addressCapGate} in front of
 * the access rules' gate, which the pool asks for new seats only, never for renewals nor for a
 * lease that shares a seat the address already holds.
 */
import { seatKeyOf } from './counting.js';
import { seatUnitOf } from './group-seat-tally.js';
import type { LeaseObserver, LeasePool, SeatGate } from './lease-pool.js';
import type { AcquireRefusal, AcquireRequest, Lease } from './types.js';

function keyOf(address: string, product: string): string {
  return `${address.length}:${address}${product}`;
}

/** Seats held per client address and product, kept up to date as leases come and go. */
export class AddressSeats implements LeaseObserver {
  /** Address and product → seat unit → leases holding it. */
  readonly #seats = new Map<string, Map<string, number>>();

  /** Counts `leases` (the pool's leases now). */
  constructor(leases: Iterable<Lease>) {
    for (const lease of leases) this.granted(lease);
  }

  granted(lease: Lease): void {
    this.#count(lease, 1);
  }

  dropped(lease: Lease): void {
    this.#count(lease, -1);
  }

  /** Seats of `product` that leases from `address` hold. */
  held(address: string, product: string): number {
    return this.#seats.get(keyOf(address, product))?.size ?? 0;
  }

  #count(lease: Lease, delta: 1 | -1): void {
    if (lease.address === undefined) return;
    const key = keyOf(lease.address, lease.product);
    const unit = seatUnitOf(lease.licenseId, seatKeyOf(lease.countedAs, lease.client, lease.address));
    let units = this.#seats.get(key);
    if (units === undefined) {
      units = new Map();
      this.#seats.set(key, units);
    }
    const n = (units.get(unit) ?? 0) + delta;
    if (n > 0) units.set(unit, n);
    else units.delete(unit);
    if (units.size === 0) this.#seats.delete(key);
  }
}

/**
 * The gate of one request under the per-address cap `max`, in front of `inner` (the access
 * rules' gate, when there are rules): a request that needs a new seat of its product is refused
 * with `exhausted` when its address holds `max` seats of it already.
 */
export function addressCapGate(
  seats: AddressSeats,
  max: number,
  req: AcquireRequest,
  pool: LeasePool,
  inner: SeatGate | undefined,
): SeatGate {
  const address = req.address;
  return {
    admit: () => inner?.admit() ?? null,
    confirm(choice): AcquireRefusal | null {
      if (address !== undefined && choice.newProductSeat) {
        const held = seats.held(address, req.product);
        if (held >= max) {
          const { inUse, total } = pool.capacity(req.product, null);
          return {
            kind: 'exhausted',
            inUse,
            total,
            limit: {
              rule: { line: 0, text: `max-seats-per-address ${max}` },
              reason: `the address ${address} holds ${held} seat(s) of '${req.product}', the most one address may hold on this License Manager (max-seats-per-address ${max}); a seat comes free when one of them is released`,
            },
          };
        }
      }
      return inner?.confirm(choice) ?? null;
    },
  };
}
