/** The manager's objects as they go over the wire: leases for clients and administrators, status. */

import type { AdminBorrowedSeat, AdminLeaseBody, BorrowedSeatBody, LeaseBody, ProductStatus } from '@lictor/protocol';
import { copyClient } from './counting.js';
import { isoTime as iso } from './iso-time.js';
import type { Lease, LicenseUsage } from './types.js';

// The messages themselves are declared once, in protocol's `wire/manager.ts`.
export type {
  AdminBorrowedSeat,
  AdminLeaseBody,
  BorrowedSeatBody,
  LeaseBody,
  ManagerStatus,
  ProductStatus,
} from '@lictor/protocol';

/** A lease as clients see it. */
export function leaseBodyOf(lease: Lease, heartbeatIntervalMs: number): LeaseBody {
  return {
    id: lease.id,
    product: lease.product,
    feature: lease.feature,
    licenseId: lease.licenseId,
    source: lease.source,
    grantedAt: iso(lease.grantedAt),
    expiresAt: iso(lease.expiresAt),
    heartbeatIntervalMs,
    ...(lease.graceMs === undefined ? {} : { graceMs: lease.graceMs }),
  };
}

/** A borrowed seat as its borrower sees it (and the manager signs it); `lease.borrow` must be set. */
export function borrowedSeatBodyOf(lease: Lease): BorrowedSeatBody {
  const borrow = lease.borrow;
  if (borrow === undefined) throw new TypeError(`lease ${lease.id} is not a borrowed seat`);
  return {
    id: lease.id,
    product: lease.product,
    feature: lease.feature,
    licenseId: lease.licenseId,
    serial: borrow.serial ?? '',
    computer: { machine: borrow.computer.machine, hardware: borrow.computer.hardware },
    grantedAt: iso(lease.grantedAt),
    until: iso(borrow.until),
  };
}

/** A borrowed seat as administrators see it. */
export function adminBorrowedSeatOf(lease: Lease): AdminBorrowedSeat {
  return { ...borrowedSeatBodyOf(lease), client: copyClient(lease.client) };
}

/** A lease as administrators see it. */
export function adminLeaseBodyOf(lease: Lease, heartbeatIntervalMs: number): AdminLeaseBody {
  return {
    ...leaseBodyOf(lease, heartbeatIntervalMs),
    client: copyClient(lease.client),
    heartbeatAt: iso(lease.heartbeatAt),
  };
}

/** Seats per product, summed over the licenses of `usage`. */
export function productStatusOf(usage: readonly LicenseUsage[]): ProductStatus[] {
  const products = new Map<string, ProductStatus>();
  for (const u of usage) {
    const p = products.get(u.product) ?? { product: u.product, inUse: 0, total: 0 };
    p.inUse += u.inUse;
    p.total += u.total;
    products.set(u.product, p);
  }
  return [...products.values()];
}
