/** The manager's objects as they go over the wire: leases for clients and administrators, status. */

import type { AdminLeaseBody, LeaseBody, ProductStatus } from '@lictor/protocol';
import { copyClient } from './counting.js';
import type { Lease, LicenseUsage } from './types.js';

// The messages themselves are declared once, in protocol's `wire/manager.ts`.
export type { AdminLeaseBody, LeaseBody, ManagerStatus, ProductStatus } from '@lictor/protocol';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

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
  };
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
