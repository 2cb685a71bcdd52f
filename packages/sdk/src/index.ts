/**
 * `@lictor/sdk`: embed in an application to find, validate and activate its licenses.
 *
 * ```ts
 * const licensing = await openLicensing({ product: 'ACME-ERP', publicKey: VENDOR_KEY });
 * const r = licensing.check('reports');
 * if (!r.ok) console.error(r.reason);
 * ```
 */
export type { ActivateInput, ActivationResult } from './activation-client.js';
export { activateOnline } from './activation-client.js';
export type { LicenseAnswerKey } from './answer-keys.js';
export { type FetchedBlacklist, fetchBlacklist } from './blacklist-client.js';
export {
  BlacklistRefresher,
  type BlacklistRefresherOptions,
  type BlacklistRefreshStatus,
  checkNotOlder,
  DEFAULT_BLACKLIST_REFRESH_MS,
} from './blacklist-refresher.js';
export type { ContainerPrivateKeys, SealedKeys } from './container-keys.js';
export { keyFilePath } from './container-keys.js';
export type { ContainerInfo } from './containers.js';
export { bootIdentity, type InstanceSources, resolveInstanceId } from './duplicates/instance.js';
export { DUPLICATE_FILE_SUFFIX } from './duplicates/marks.js';
export { type DuplicateReportResult, reportDuplicate } from './duplicates/report.js';
export {
  DEFAULT_ANNOUNCE_PORT,
  type DuplicateDetectionOptions,
  type DuplicateDetectionStatus,
  DuplicateWatch,
  type DuplicateWatchStats,
} from './duplicates/watch.js';
export { scanLicenseDirs, writeFileAtomic } from './files.js';
export * from './hardware/index.js';
export type {
  BorrowedSeatStatus,
  CheckResult,
  Licensed,
  LicenseFileStatus,
  Licensing,
  LicensingOptions,
  NotLicensed,
  RefreshedBlacklist,
} from './licensing.js';
export { openLicensing } from './licensing.js';
export { defaultMachineSecret, type MachineSecretSource, machineTag } from './machine-secret.js';
export * from './manager/index.js';
export type { InstalledAnswer, OfflineRequest, OfflineRequestInput, PendingRequest } from './offline.js';
export { licenseSearchPaths, licenseWriteDir, machineLicenseDir, userLicenseDir } from './paths.js';
export { type DongleServer, openDongleServer, type ServedDongle } from './tokens/dongle-server.js';
export {
  DEFAULT_NETWORK_DONGLE_INTERVAL_MS,
  listManagerDongles,
  type ManagerDongleInfo,
  NETWORK_DONGLES_FILE,
  type NetworkDongleMarker,
  type NetworkDongleOptions,
  proveNetworkDongle,
} from './tokens/network-dongles.js';
export {
  DEFAULT_TOKEN_INTERVAL_MS,
  type TokenLocation,
  type TokenOptions,
  type TokenPinSource,
  tokenContainerPath,
} from './tokens/options.js';
export { SEEN_BLACKLIST_FILE_NAME } from './trust/blacklist-seen.js';
export {
  CLOCK_FILE_NAME,
  type ClockOptions,
  type ClockStatus,
  DEFAULT_CLOCK_SAVE_INTERVAL_MS,
  DEFAULT_CLOCK_TOLERANCE_MS,
  shownDuration,
} from './trust/clock.js';
export type { AppliedUpgrade, StartedUpgrade } from './upgrade.js';
export type { AbandonedQuestion, UpgradeRecord } from './upgrade-record.js';
export { upgradeRecordPath } from './upgrade-record.js';
export type { ChangeEvent, TokenChange } from './watch.js';
