/**
 * `@lictor/server`: the vendor's License Center. Domain API (`initCenter`, `openCenter`, the
 * {@link Center} object) and its HTTP service (`buildCenterServer`).
 */

export type { CenterAlert } from './center/abuse.js';
export { type CenterOptions, type InitCenterResult, initCenter, openCenter } from './center/data-dir.js';
export { DEFAULT_RATE_LIMITS, type RateLimit, type RateLimitOptions } from './center/rate-limits.js';
export type { TokenPinChoice, TokenProgramming, TokenView } from './center/tokens.js';
export type {
  ActivationFilter,
  ActivationMeta,
  ActivationView,
  AnsweredRequest,
  AnsweredRequestCode,
  AnsweredUpgrade,
  AuditEvent,
  BlacklistInput,
  Center,
  ConfirmedUpgrade,
  DuplicatePolicy,
  FeatureInput,
  HeldDuplicate,
  IssuedPackage,
  IssuedPin,
  PackageSpec,
  PackageView,
  PinView,
  Product,
  ProductInput,
  RequestPreview,
  UpgradeChanges,
  UpgradeFilter,
  UpgradeView,
  WorkCounters,
} from './center/types.js';
export { buildCenterServer, type CenterServerOptions } from './http/server.js';
export * from './manager/index.js';
export type { DatabaseConfig } from './store/dialect.js';
export { databaseConfigFromEnv } from './store/open.js';
