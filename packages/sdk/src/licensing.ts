/**
 * `openLicensing`: what a vendor's application calls at start. It finds every license file
 * in the search paths, verifies and decrypts each, matches its binding against this
 * computer, and answers `check()` from memory, with no I/O and no throwing.
 *
 * This file is the read side (loading, `check()`, `status()`, reload and its `change` events,
 * `close()`) and the composition root of the parts that write: `licensing/activation.ts`,
 * `licensing/offline.ts`, `licensing/upgrade.ts` and `licensing/blacklist.ts`, each given a small
 * context ({@link LicensingContext}) instead of this function's locals.
 */

import {
  type Application,
  type ApplicationRole,
  bitnessOf,
  LictorError,
  NO_TOKENS,
  parsePublicKey,
  type Scheduler,
  systemScheduler,
  type VendorPublicKey,
} from '@lictor/protocol';
import type { ActivateInput, ActivationResult } from './activation-client.js';
import { answerKeysOf, type LicenseAnswerKey } from './answer-keys.js';
import type { BlacklistRefreshStatus } from './blacklist-refresher.js';
import { type ContainerInfo, containerInfo, loadContainers } from './containers.js';
import { loadDuplicateMarks } from './duplicates/marks.js';
import { announcedLicenses, type DuplicateDetection, startDuplicateWatch } from './duplicates/start.js';
import type { DuplicateDetectionOptions, DuplicateDetectionStatus } from './duplicates/watch.js';
import { type Listing, listDir, scanListed } from './files.js';
import type { HardwareSource } from './hardware/index.js';
import { defaultHardwareSource } from './hardware/runtime-snapshot.js';
import { activate } from './licensing/activation.js';
import { type VendorBlacklist, vendorBlacklist } from './licensing/blacklist.js';
import type { LicensingContext } from './licensing/context.js';
import { offlineRequests } from './licensing/offline.js';
import { remoteUpgrade } from './licensing/upgrade.js';
import { defaultMachineSecret, type MachineSecretSource } from './machine-secret.js';
import { borrowComputerHere } from './manager/borrow-binding.js';
import type { InstalledAnswer, OfflineRequest, OfflineRequestInput, PendingRequest } from './offline.js';
import { licenseSearchPaths, licenseWriteDir } from './paths.js';
import {
  addTokenView,
  buildSnapshot,
  type Candidate,
  type CheckResult,
  decodeAll,
  type LicenseFileStatus,
  type NotLicensed,
  refusal,
  type Snapshot,
  tokenBoundFiles,
} from './snapshot.js';
import { NETWORK_DONGLES_FILE, type NetworkDongleOptions, NetworkDongles } from './tokens/network-dongles.js';
import type { TokenOptions } from './tokens/options.js';
import { TokenLicenses } from './tokens/token-licenses.js';
import { keepNewestBlacklist, readSeenBlacklists, SEEN_BLACKLIST_FILE_NAME } from './trust/blacklist-seen.js';
import { ClockGuard, type ClockOptions, type ClockStatus } from './trust/clock.js';
import type { AppliedUpgrade, StartedUpgrade } from './upgrade.js';
import { listUpgradeRecords, UPGRADES_DIR } from './upgrade-record.js';
import { UsageRecord } from './usage.js';
import { autoReload, type ChangeEvent, type Fingerprint, type TokenChange, watchedFile } from './watch.js';

export type { BorrowedSeatStatus, CheckResult, Licensed, LicenseFileStatus, NotLicensed } from './snapshot.js';

/** Options of {@link openLicensing}. */
export interface LicensingOptions {
  /** Product code the application checks. */
  product: string;
  /** The vendor's public key (`lictor-ed25519:...`), embedded in the application. */
  publicKey: string | VendorPublicKey;
  /** Directories to search instead of the defaults (`LICTOR_LICENSE_PATH`, per-user, per-machine, `appDir`). */
  paths?: string[];
  /** The application's directory, searched last. */
  appDir?: string;
  /** Directory new license files are written to; default: first `LICTOR_LICENSE_PATH` entry, else per-user. */
  store?: string;
  /** Source of this computer's hardware parameters; default: collected and cached in memory. */
  hardware?: HardwareSource;
  /** How long collected hardware is reused before collecting again (default 24 h). */
  hardwareMaxAgeMs?: number;
  /**
   * Without `hardware`: the Lictor Runtime's sealed hardware snapshot to reuse when it is
   * readable, fresh and not writable by this process (`hardware/runtime-snapshot.ts`); default the
   * machine-wide runtime's (none on Windows); `false`: always collect.
   */
  runtimeHardware?: string | false;
  /** Clock in ms since the epoch; default the `scheduler`'s. */
  now?: () => number;
  /**
   * The clock and timers of everything this state does over time (default `systemScheduler`):
   * the clock of `check()` and of what it writes (unless `now` is given), the change poll of
   * `watch`, the clock mark's and the record of use's background writes, the hardware cache's age,
   * the token checks (unless `tokens.scheduler` is given) and the scheduled blacklist download
   * (unless `blacklistRefresh.scheduler` is given). Tests pass a `FakeScheduler`. Duplicate
   * detection's announcements and network timeouts stay on real time.
   */
  scheduler?: Scheduler;
  /**
   * What the application is (default `client`): `client` for a client application on its user's
   * computer, which single-user licenses serve; `server` for a process that serves others from
   * its computer (an application server's worker, a web server extension, an application on a
   * terminal server), which multi-user and server licenses serve. See docs/rules.md.
   */
  role?: ApplicationRole;
  /** Bitness of the running process (default: from `arch`): a 32-bit (x86) server license serves only 32-bit processes. */
  bitness?: 32 | 64;
  /** Architecture of the running process (default `process.arch`); gives the bitness when `bitness` is absent. */
  arch?: string;
  /** Environment to read search paths from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** This computer's machine secret, which seals container keys; default from the OS machine id. */
  machineSecret?: MachineSecretSource;
  /**
   * Reload by itself when license, blacklist or key files change (default `true`): running
   * applications see upgrades without a restart. Call {@link Licensing.close} to stop.
   */
  watch?: boolean;
  /** Period of the change poll that backs file system events, in ms (default 2000). */
  watchIntervalMs?: number;
  /**
   * Take part in duplicate detection on the local network: announce the licenses in use and
   * listen to others' (UDP broadcast), mark and report a serial and PIN used by two computers at
   * once. Off unless given; see docs/duplicates.md.
   */
  duplicateDetection?: DuplicateDetectionOptions;
  /**
   * Use hardware tokens (dongles) through their PKCS#11 module: licenses stored on tokens, and
   * license files bound to a token, count only while the token is plugged in and proves its key.
   * Needs the optional package `@lictor/token`, loaded only when this is given. If the package,
   * the module or the PIN file is missing, `status()` says why and the other licenses still work.
   */
  tokens?: TokenOptions;
  /**
   * License files bound to a hardware token on a License Manager (`lictor activate
   * --network-token`): where the managers are and how often the dongle proves its presence
   * through them (docs/dongles.md). Such licenses are checked through the manager with or without
   * this option; it only tunes how.
   */
  networkTokens?: NetworkDongleOptions;
  /**
   * The clock mark that keeps a clock set back from reviving expired time-limited licenses
   * (tolerance, background write period); see docs/clock.md. Always on.
   */
  clock?: ClockOptions;
  /**
   * Download the vendor's blacklist from this License Center now and then while the application
   * runs (at once, then every `intervalMs`, default 6 h; failures are retried every 5 min and
   * reported through `onError` and {@link Licensing.blacklistRefresh}). Off unless given.
   */
  blacklistRefresh?: {
    center: string;
    intervalMs?: number;
    retryMs?: number;
    /** The schedule's clock and timers (default: the `scheduler` option's). */
    scheduler?: Scheduler;
    onError?: (error: LictorError) => void;
  };
}

/** What {@link Licensing.refreshBlacklist} stored. */
export interface RefreshedBlacklist {
  file: string;
  serials: number;
  activations: number;
  /** The list's sequence (higher is newer). */
  sequence: number;
  issuedAt: string;
}

/** The licensing state of one application. */
export interface Licensing {
  readonly product: string;
  /** The directories searched, in order. */
  readonly searchPaths: readonly string[];
  /** Is the product (or one of its features) licensed right now? Never throws, no I/O. */
  check(feature?: string): CheckResult;
  /** Every license and blacklist file found, and whether each is usable. */
  status(): readonly LicenseFileStatus[];
  /** Scans the search paths again (e.g. after files changed). */
  reload(): Promise<void>;
  /** Activates online with a serial number and PIN code, writes the license file and reloads. */
  activate(input: ActivateInput): Promise<ActivationResult>;
  /** The directory license files and pending offline requests are written to. */
  readonly storeDir: string;
  /** Makes an offline request (a file's text or a short code) and remembers it as pending. */
  requestOffline(input: OfflineRequestInput, kind: 'file' | 'code'): Promise<OfflineRequest>;
  /** Installs the vendor's answer (license file text, or an answer code) to a pending request, then reloads. */
  install(answer: { file: string } | { code: string }): Promise<InstalledAnswer>;
  /** Offline requests made with this store, newest first. */
  requests(): Promise<PendingRequest[]>;
  /** Cancels a pending request. */
  cancelRequest(id: string): Promise<PendingRequest>;
  /**
   * Downloads the vendor's signed blacklist into the store and reloads (`timeoutMs`: give up
   * after, default 30 s). A list older (lower sequence) than the one in force is refused with
   * `LICTOR_E_BLACKLIST_STALE`; the center's signed time moves the clock mark.
   */
  refreshBlacklist(center: string, options?: { timeoutMs?: number }): Promise<RefreshedBlacklist>;
  /** The scheduled download's last outcome (`blacklistRefresh` option); `undefined` when off. */
  blacklistRefresh(): BlacklistRefreshStatus | undefined;
  /** The clock mark: the latest time seen, the tolerance, whether the clock is set back now, what is wrong with its file. */
  clock(): ClockStatus;
  /** Every license container found, with its counter and whether it can be upgraded. */
  containers(): readonly ContainerInfo[];
  /**
   * The licenses whose container key opened on this computer, each able to sign answers over an
   * asker's nonce (signed answers, `@lictor/protocol`'s `seat-proof.ts`): what a License Manager
   * proves its seats with. Rebuilt by every load.
   */
  answerKeys(): readonly LicenseAnswerKey[];
  /**
   * Starts a remote upgrade: makes a question signed by the container's key and records it as
   * pending (in the store for a license file, in the token's memory for a container on a hardware
   * token), abandoning the previous question. `containerId` may be omitted when there is one
   * container (else `LICTOR_E_CONTAINER_AMBIGUOUS`).
   */
  startUpgrade(containerId?: string): Promise<StartedUpgrade>;
  /**
   * Applies the vendor's answer (an upgrade license file) atomically, reloads, and returns the
   * confirmation code. A container on a hardware token is rewritten in the token's memory, after
   * the token proves the key its license names; the `change` event then fires.
   */
  continueUpgrade(answer: string): Promise<AppliedUpgrade>;
  /** The confirmation code of the last upgrade applied to a container, to show it again. */
  confirmationCode(containerId?: string): Promise<string>;
  /** Calls `listener` after each automatic reload caused by changed files; returns a function that unsubscribes. */
  on(event: 'change', listener: (event: ChangeEvent) => void): () => void;
  /** Removes a listener added with {@link Licensing.on}. */
  off(event: 'change', listener: (event: ChangeEvent) => void): void;
  /** Duplicate detection's port, instance and counters (sent, received, invalid, dropped, duplicates); `undefined` when off. */
  duplicateDetection(): DuplicateDetectionStatus | undefined;
  /** Stops watching the license directories (and announcing, and checking tokens); resolves when all has stopped. */
  close(): Promise<void>;
}

/** Default period of the change poll (see {@link LicensingOptions.watchIntervalMs}). */
const DEFAULT_WATCH_INTERVAL_MS = 2000;

/** The application's role and bitness from the options, checked. */
function applicationOf(options: LicensingOptions): Application {
  const role = options.role ?? 'client';
  if (role !== 'client' && role !== 'server') {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `role must be client or server, got ${String(role)}`, {
      field: 'role',
    });
  }
  const bitness = options.bitness ?? bitnessOf(options.arch ?? process.arch);
  if (bitness !== 32 && bitness !== 64) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `bitness must be 32 or 64, got ${String(bitness)}`, {
      field: 'bitness',
    });
  }
  return { role, bitness };
}

/**
 * Opens the licensing state of an application: finds, verifies, decrypts and matches
 * every license file. Resolves even when nothing is licensed; `check()` says why.
 */
export async function openLicensing(options: LicensingOptions): Promise<Licensing> {
  const publicKey = typeof options.publicKey === 'string' ? parsePublicKey(options.publicKey) : options.publicKey;
  const env = options.env ?? process.env;
  const searchPaths = licenseSearchPaths({
    ...(options.paths ? { paths: options.paths } : {}),
    ...(options.appDir ? { appDir: options.appDir } : {}),
    env,
  });
  const storeDir = options.store ?? options.paths?.[0] ?? licenseWriteDir(env);
  if (options.store && !searchPaths.includes(options.store)) searchPaths.unshift(options.store);
  const scheduler = options.scheduler ?? systemScheduler;
  const now = options.now ?? (() => scheduler.now());
  const hardware = options.hardware ?? defaultHardwareSource({ ...options, now });
  const app = applicationOf(options);
  const { product } = options;
  const usage = new UsageRecord(storeDir, scheduler);
  const machineSecret = options.machineSecret ?? defaultMachineSecret();
  const clock = new ClockGuard(
    storeDir,
    machineSecret,
    publicKey,
    now,
    product || 'this product',
    options.clock,
    searchPaths,
    scheduler,
  );

  let snapshot: Snapshot;
  /** The sequence of the blacklist in force (0: none, or one made before sequences). */
  let blacklistSequence = 0;
  let started = 0;
  let applied = 0;
  let tokens: TokenLicenses | undefined;
  // The versions of the files the first load saw: what the change watcher compares with.
  let firstScan: ((versions: Fingerprint) => void) | undefined;
  const baseline = new Promise<Fingerprint>((resolve) => {
    firstScan = resolve;
  });
  // Each directory is listed once per load: the scan, the duplicate marks and the record of use
  // (both in the store) share the listing, and files it does not hold are not asked for.
  const listedDirs = searchPaths.includes(storeDir) ? searchPaths : [...searchPaths, storeDir];
  const load = async () => {
    const seq = ++started;
    const hw = hardware();
    hw.catch(() => undefined); // awaited below; a failure must not go unobserved meanwhile
    const listings = new Map<string, Listing>(
      await Promise.all(listedDirs.map(async (dir) => [dir, await listDir(dir)] as const)),
    );
    const store = listings.get(storeDir);
    const storeNames = store !== undefined && 'names' in store ? store.names : undefined;
    // Whether `dir` may hold `name` (when it could not be listed, it is looked for).
    const mayHold = (dir: string, name: string) => {
      const listing = listings.get(dir);
      return listing === undefined || 'error' in listing || listing.names.includes(name);
    };
    const records = mayHold(storeDir, UPGRADES_DIR) ? listUpgradeRecords(storeDir) : Promise.resolve(new Set<string>());
    const [scan, marks, seenBlacklist] = await Promise.all([
      scanListed(searchPaths, listings, watchedFile),
      loadDuplicateMarks(storeDir, publicKey, storeNames),
      readSeenBlacklists([storeDir, ...searchPaths].filter((dir) => mayHold(dir, SEEN_BLACKLIST_FILE_NAME))),
      usage.load(storeNames),
    ]);
    firstScan?.(scan.versions);
    firstScan = undefined;
    const decoded = decodeAll(scan.files, publicKey, marks, seenBlacklist);
    const containers = await loadContainers(decoded.docs, machineSecret, storeDir, records);
    // Borrowed seats are bound to this computer's machine secret and hardware.
    const computer = decoded.borrows.length === 0 ? undefined : await borrowComputerHere(machineSecret, await hw);
    const onNetwork = await network.apply(
      decoded.docs,
      listedDirs.filter((dir) => mayHold(dir, NETWORK_DONGLES_FILE)),
    );
    const tokenView = await tokens?.refresh(tokenBoundFiles(decoded.docs).filter((f) => !onNetwork.has(f.path)));
    if (tokenView) addTokenView(decoded, containers, tokenView);
    // Licenses on tokens count as well: their issue times are signed times, and the mark guards them too.
    await Promise.all([
      keepNewestBlacklist(storeDir, decoded.newestBlacklist),
      clock.load(decoded.signedFloorMs, decoded.docs.length > 0),
    ]);
    const next = buildSnapshot(
      product,
      decoded,
      containers,
      await hw,
      app,
      now(),
      searchPaths,
      tokenView?.presence ?? NO_TOKENS,
      clock,
      usage.times,
      computer,
    );
    // Loads may overlap (the watcher and an explicit reload): a load started later wins.
    if (seq > applied) {
      applied = seq;
      snapshot = next;
      blacklistSequence = decoded.newestBlacklist?.list.sequence ?? 0;
    }
  };
  const feed = autoReload(
    searchPaths,
    load,
    options.watch === false ? null : (options.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS),
    baseline,
    scheduler,
  );
  // A token plugged in or pulled out, or the license in its memory rewritten: rebuild the snapshot,
  // then tell the listeners which licenses it concerns.
  const tokenChanged = async (change: TokenChange | undefined, paths: string[]) => {
    await load().catch(() => undefined);
    const shown = new Set(snapshot.files.map((f) => f.path));
    const changed = paths.filter((p) => shown.has(p)).sort();
    if (changed.length > 0) feed.emit({ added: [], removed: [], changed, ...(change ? { tokens: [change] } : {}) });
  };
  // What the parts that write see of this state (`tokens` is filled in once the tokens are open).
  const ctx: LicensingContext = {
    publicKey,
    storeDir,
    hardware,
    machineSecret,
    now,
    scheduler,
    clock,
    usage,
    tokens: undefined,
    networkTokens: options.networkTokens,
    env,
    reload: load,
    containers: () => snapshot.containers,
    blacklistSequence: () => blacklistSequence,
    emit: (event) => feed.emit(event),
  };
  const network = new NetworkDongles(
    { scheduler, ...options.networkTokens },
    env,
    (paths) => void tokenChanged(undefined, paths),
  );
  let duplicateWatch: DuplicateDetection | undefined;
  let blacklist: VendorBlacklist | undefined;
  try {
    if (options.tokens !== undefined) {
      tokens = await TokenLicenses.open(
        { ...options.tokens, scheduler: options.tokens.scheduler ?? scheduler },
        { env, vendorKey: publicKey, onChange: (change, paths) => void tokenChanged(change, paths) },
      );
      ctx.tokens = tokens;
    }
    await load();
    clock.start();
    if (options.duplicateDetection !== undefined) {
      duplicateWatch = await startDuplicateWatch(options.duplicateDetection, {
        publicKey,
        storeDir,
        machineSecret,
        inUse: () => announcedLicenses(snapshot.files, snapshot.containers),
        reload: load,
      });
    }
    blacklist = vendorBlacklist(ctx, options.blacklistRefresh);
  } catch (err) {
    // Opening failed (a bad option, a port in use): nothing it started keeps running.
    feed.close();
    duplicateWatch?.close();
    await clock.close();
    await tokens?.close();
    network.close();
    throw err;
  }
  const { refreshBlacklist, blacklistRefresh } = blacklist;

  // Built once per feature name, so that checking a feature the license lacks allocates nothing either
  // (capped, should an application check arbitrary names).
  const missingFeatures = new Map<string, NotLicensed>();
  const missingFeature = (feature: string) => {
    let missing = missingFeatures.get(feature);
    if (missing === undefined) {
      missing = refusal(
        'LICTOR_E_FEATURE_NOT_LICENSED',
        `the license for ${product} does not include feature ${feature}`,
      );
      if (missingFeatures.size < 1000) missingFeatures.set(feature, missing);
    }
    return missing;
  };

  return {
    product,
    searchPaths,
    storeDir,
    check(feature?: string): CheckResult {
      const candidates = snapshot.byFeature.get(feature ?? '');
      if (candidates === undefined) {
        if (feature === undefined) return snapshot.refusal;
        // The license that would grant the feature is unusable: say why, not "does not include".
        const blocked = snapshot.blocked.get(feature);
        if (blocked !== undefined) return blocked;
        return snapshot.byFeature.has('') ? missingFeature(feature) : snapshot.refusal;
      }
      const t = now();
      clock.observe(t);
      let rolledBack: NotLicensed | undefined;
      for (const c of candidates) {
        if (t >= c.expiresAtMs) continue;
        // A time-limited license needs a clock that is not set back (docs/clock.md).
        if (c.limited) {
          if (t < c.notBeforeMs) {
            rolledBack ??= c.beforeIssue;
            continue;
          }
          if (clock.behind(t)) {
            rolledBack ??= clock.refusal();
            continue;
          }
        }
        usage.touch(c.result.file, t);
        return c.result;
      }
      return rolledBack ?? (candidates[0] as Candidate).expired;
    },
    status: () => snapshot.files,
    reload: load,
    activate: (input) => activate(ctx, input),
    ...offlineRequests(ctx),
    refreshBlacklist,
    blacklistRefresh,
    clock: () => clock.status(),
    containers: () => snapshot.containers.map(containerInfo),
    answerKeys: () => answerKeysOf(snapshot.containers),
    ...remoteUpgrade(ctx),
    on: (_event, listener) => feed.on(listener),
    off: (_event, listener) => feed.off(listener),
    duplicateDetection: () => duplicateWatch?.status(),
    close: async () => {
      feed.close();
      blacklist.stop();
      duplicateWatch?.close();
      await usage.flush();
      await tokens?.close();
      network.close();
      await clock.close();
    },
  };
}
