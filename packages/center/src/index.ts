/**
 * `@lictor/center`: the vendor's License Center. Domain API (`initCenter`, `openCenter`, the
 * {@link Center} object) and its HTTP service (`buildCenterServer`, `listenCenterServer`).
 */

export type { CenterAlert } from './center/abuse.js';
export {
  type CenterOptions,
  type InitCenterResult,
  initCenter,
  openCenter,
  reissueAdminToken,
} from './center/data-dir.js';
export { DEFAULT_RATE_LIMITS, type RateLimit, type RateLimitOptions } from './center/rate-limits.js';
export type { TokenPinChoice, TokenProgramming, TokenView } from './center/tokens.js';
export type {
  ActivationFilter,
  ActivationMeta,
  ActivationView,
  AddedProduct,
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
  UpgradePreview,
  UpgradeSummary,
  UpgradeView,
  WorkCounters,
} from './center/types.js';
export { typeChangeRefusal } from './center/upgrade-changes.js';
export { describeEntry, describeUpgrade } from './center/upgrade-summary.js';
export { buildCenterServer, type CenterServerOptions, listenCenterServer } from './http/server.js';
export type { DatabaseConfig } from './store/dialect.js';
export { databaseConfigFromEnv } from './store/open.js';
