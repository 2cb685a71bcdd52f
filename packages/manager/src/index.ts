/** The network License Manager's seat-counting core. */

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
export { countingUnitOf } from './counting.js';
export {
  type DiscoveryResponder,
  type DiscoveryResponderOptions,
  type DiscoveryStats,
  startDiscoveryResponder,
} from './discovery.js';
export { GroupSeatTally, seatUnitOf } from './group-seat-tally.js';
export { buildManagerServer, MANAGER_BODY_LIMIT, type ManagerServerOptions } from './http.js';
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
export {
  NONCE_HEADER,
  proofRequest,
  proofSchema,
  SESSION_HEADER,
  type SeatAnswerPurpose,
  SeatProofs,
  type SessionRef,
} from './seat-proofs.js';
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
