/**
 * `@lictor/manager`: the network License Manager. `openManager()` is its composition root; the
 * seat-counting core (`LeasePool`, `LicenseManager`), access rules, discovery responder and HTTP
 * service are exported for embedding and tests.
 */

export { accessGate } from './access-gate.js';
export {
  type AccessAction,
  type AccessClient,
  type AccessDecision,
  type AccessMembers,
  type AccessRule,
  type AccessRules,
  type AccessRulesProblem,
  evaluateAccess,
  NO_ACCESS_RULES,
  type ParseAccessRulesOptions,
  parseAccessRules,
} from './access-rules.js';
export {
  ACCESS_RULES_FILE_NAME,
  DEFAULT_ACCESS_RULES_POLL_MS,
  type LoadedAccessRules,
  readAccessRulesFile,
} from './access-rules-file.js';
export { AdminTokenCheck } from './admin-token.js';
export { countingUnitOf } from './counting.js';
export {
  type DiscoveryResponder,
  type DiscoveryResponderOptions,
  type DiscoveryStats,
  startDiscoveryResponder,
} from './discovery.js';
export { EventLog, type RenewalCount } from './event-log.js';
export { GroupSeatTally, seatUnitOf } from './group-seat-tally.js';
export { buildManagerServer, MANAGER_BODY_LIMIT, type ManagerServerOptions } from './http.js';
export {
  type ManagerIdentity,
  type NewIdentity,
  readManagerIdentity,
  reissueManagerAdminToken,
} from './identity.js';
export {
  DEFAULT_LEASE_TTL_MS,
  type LeaseObserver,
  LeasePool,
  type RestoreOptions,
  type RestoreResult,
  type SeatChoice,
  type SeatGate,
} from './lease-pool.js';
export {
  type LeaseChange,
  LeaseService,
  type LeaseServiceObserver,
  type LeaseServiceOptions,
  type ReleaseOptions,
  type RevokedRefusal,
  type ServiceAcquireResult,
} from './lease-service.js';
export {
  type AdminLeaseBody,
  type AdminReleaseOptions,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_SNAPSHOT_INTERVAL_MS,
  type LeaseBody,
  LicenseManager,
  type LicenseManagerOptions,
  MANAGER_EVENT_CAPACITY,
  MANAGER_EVENT_KINDS,
  MANAGER_VERSION,
  MAX_ADMIN_BLOCK_MS,
  type ManagerEvent,
  type ManagerEventKind,
  type ManagerStatus,
  type ProductStatus,
} from './manager.js';
export {
  DEFAULT_DISCOVERY_PORT,
  DEFAULT_MANAGER_PORT,
  type OpenManagerOptions,
  openManager,
  type RunningManager,
} from './open-manager.js';
export { poolLicenses } from './pool-licenses.js';
export {
  proofRequest,
  type SeatAnswerPurpose,
  SeatProofs,
  type SessionRef,
} from './seat-proofs.js';
export { type LoadedSnapshot, loadSnapshot, SnapshotStore, type SnapshotStoreOptions } from './snapshot-store.js';
export type {
  AccessRuleRef,
  AcquireRefusal,
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
  SeatLimit,
} from './types.js';
