/** The network License Manager's seat-counting core. */

export { countingUnitOf } from './counting.js';
export { buildManagerServer, MANAGER_BODY_LIMIT, type ManagerServerOptions } from './http.js';
export { DEFAULT_LEASE_TTL_MS, LeasePool, type RestoreOptions, type RestoreResult } from './lease-pool.js';
export {
  type AdminLeaseBody,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_SNAPSHOT_INTERVAL_MS,
  type LeaseBody,
  LicenseManager,
  type LicenseManagerOptions,
  MANAGER_EVENT_CAPACITY,
  MANAGER_VERSION,
  type ManagerEvent,
  type ManagerEventKind,
  type ManagerStatus,
  type ProductStatus,
} from './manager.js';
export type {
  AcquireRequest,
  AcquireResult,
  ClientIdentity,
  CountingUnit,
  DroppedLease,
  DropReason,
  FeatureUsage,
  HeartbeatResult,
  Lease,
  LeasePoolOptions,
  LicenseSource,
  LicenseUsage,
  PoolFeature,
  PoolLicense,
  PoolLicenseType,
  PoolSnapshot,
} from './types.js';
