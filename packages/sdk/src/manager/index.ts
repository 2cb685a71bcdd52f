/** Client of the network License Manager: floating seats (leases) with heartbeats and failover. */
export type { ClientIdentity, LeaseBody, ManagerStatus } from '@lictor/protocol';
export type {
  ConnectManagerOptions,
  Lease,
  LeaseEvents,
  ManagerClient,
  SignedAcquireOptions,
  SignedSeat,
} from './client.js';
export { connectManager, defaultClientIdentity } from './client.js';
export type { DiscoveredManager, DiscoverOptions } from './discover.js';
export { DEFAULT_DISCOVERY_TIMEOUT_MS, defaultDiscoveryTargets, discoverManagers } from './discover.js';
export type { LocatedManagers, LocateOptions } from './locate.js';
export {
  DEFAULT_MANAGER_PORT,
  envManagers,
  locateManagers,
  managerConfigPaths,
  normalizeManagerAddress,
  parseManagerIni,
} from './locate.js';
