/**
 * What the parts of an open licensing state share. `openLicensing` builds one
 * {@link LicensingContext}; each part (activation, offline requests, remote upgrade, blacklist)
 * takes only the fields it uses (a `Pick` of it), so that what a part depends on is written down.
 */
import type { Scheduler, VendorPublicKey } from '@lictor/protocol';
import type { LoadedContainer } from '../containers.js';
import type { HardwareSource } from '../hardware/index.js';
import type { MachineSecretSource } from '../machine-secret.js';
import type { NetworkDongleOptions } from '../tokens/network-dongles.js';
import type { TokenLicenses } from '../tokens/token-licenses.js';
import type { ClockGuard } from '../trust/clock.js';
import type { UsageRecord } from '../usage.js';
import type { ChangeEvent } from '../watch.js';

/** The state and services of one `openLicensing`, as its parts see them. */
export interface LicensingContext {
  /** The vendor's public key, which every license file, answer and blacklist must verify with. */
  publicKey: VendorPublicKey;
  /** The directory license files, key files, pending requests and the blacklist are written to. */
  storeDir: string;
  /** This computer's hardware parameters. */
  hardware: HardwareSource;
  /** This computer's machine secret, which seals container keys. */
  machineSecret: MachineSecretSource;
  /** The clock of every reading (the `now` option, else the scheduler's). */
  now: () => number;
  /** The clock and timers of the state's background work. */
  scheduler: Scheduler;
  /** The clock mark: a center's signed time moves it. */
  clock: Pick<ClockGuard, 'serverTime'>;
  /** The record of when each license file last served: a file written here counts as used now. */
  usage: Pick<UsageRecord, 'touch'>;
  /** The token support when the `tokens` option is given. */
  tokens: TokenLicenses | undefined;
  /** The `networkTokens` option: where the managers serving network dongles are. */
  networkTokens: NetworkDongleOptions | undefined;
  /** The environment the options read (`LICTOR_MANAGER`, config paths). */
  env: NodeJS.ProcessEnv;
  /** Scans the search paths again and replaces the snapshot. */
  reload(): Promise<void>;
  /** The containers of the current snapshot (as of the last reload). */
  containers(): readonly LoadedContainer[];
  /** The sequence of the blacklist in force (0: none, or one made before sequences). */
  blacklistSequence(): number;
  /** Tells this state's `change` listeners about a change the file watcher cannot see. */
  emit(event: ChangeEvent): void;
}
