/** The manager's objects as they go over the wire: leases for clients and administrators, status. */

import { copyClient } from './counting.js';
import type { ClientIdentity, Lease, LicenseUsage } from './types.js';

/** Seats of one product, summed over its licenses. */
export interface ProductStatus {
  product: string;
  inUse: number;
  total: number;
}

/** What `LicenseManager.status` reports (the body of `GET /v1/status`). */
export interface ManagerStatus {
  manager: { id: string; version: string };
  heartbeatIntervalMs: number;
  leaseTtlMs: number;
  products: ProductStatus[];
}

/** A lease as clients see it on the wire. */
export interface LeaseBody {
  id: string;
  product: string;
  feature: string | null;
  licenseId: string;
  source: 'software' | 'token';
  grantedAt: string;
  /** The lease's deadline if no heartbeat comes. */
  expiresAt: string;
  heartbeatIntervalMs: number;
}

/** A lease as administrators see it. */
export interface AdminLeaseBody extends LeaseBody {
  client: ClientIdentity;
  heartbeatAt: string;
}

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
