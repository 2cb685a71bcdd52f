/**
 * `openLicensing`: what a vendor's application calls at start. It finds every license file
 * in the search paths, verifies and decrypts each, matches its binding against this
 * computer, and answers `check()` from memory, with no I/O and no throwing.
 */

import { join } from 'node:path';
import {
  type Application,
  type ApplicationRole,
  bitnessOf,
  decodeLicenseFile,
  generateContainerKeys,
  LictorError,
  NO_TOKENS,
  parsePublicKey,
  type Scheduler,
  type VendorPublicKey,
} from '@lictor/protocol';
import { type ActivateInput, type ActivationResult, activateOnline } from './activation-client.js';
import { answerKeysOf, type LicenseAnswerKey } from './answer-keys.js';
import { type FetchedBlacklist, fetchBlacklist } from './blacklist-client.js';
import { BlacklistRefresher, type BlacklistRefreshStatus, checkNotOlder } from './blacklist-refresher.js';
import { keyFilePath, sealKeys, writeKeyFile } from './container-keys.js';
import { type ContainerInfo, containerInfo, type LoadedContainer, loadContainers } from './containers.js';
import { loadDuplicateMarks } from './duplicates/marks.js';
import { announcedLicenses, type DuplicateDetection, startDuplicateWatch } from './duplicates/start.js';
import type { DuplicateDetectionOptions, DuplicateDetectionStatus } from './duplicates/watch.js';
import { BLACKLIST_FILE_NAME, type Listing, listDir, scanListed, writeFileAtomic } from './files.js';
import { cachedHardware, collectHardware, type HardwareSource } from './hardware/index.js';
import { defaultMachineSecret, type MachineSecretSource } from './machine-secret.js';
import { borrowComputerHere } from './manager/borrow-binding.js';
import {
  cancelRequest,
  createOfflineRequest,
  type InstalledAnswer,
  installAnswerCode,
  installAnswerFile,
  listRequests,
  type OfflineRequest,
  type OfflineRequestInput,
  type PendingRequest,
} from './offline.js';
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
import { type BindTokenSelector, type SignedTokenClaim, signTokenClaim } from './tokens/activation.js';
import {
  NETWORK_DONGLES_FILE,
  type NetworkDongleOptions,
  NetworkDongles,
  networkClaim,
} from './tokens/network-dongles.js';
import type { TokenOptions } from './tokens/options.js';
import { TokenLicenses } from './tokens/token-licenses.js';
import { openTokenStorage } from './tokens/token-storage.js';
import {
  keepNewestBlacklist,
  readSeenBlacklists,
  SEEN_BLACKLIST_FILE_NAME,
  seenBlacklistPath,
} from './trust/blacklist-seen.js';
import { ClockGuard, type ClockOptions, type ClockStatus } from './trust/clock.js';
import {
  type AppliedUpgrade,
  applyUpgrade,
  containersWithId,
  lastConfirmationCode,
  pickContainer,
  type StartedUpgrade,
  startUpgradeOf,
} from './upgrade.js';
import { listUpgradeRecords, UPGRADES_DIR } from './upgrade-record.js';
import { type ContainerStorage, fileStorage, withStorage } from './upgrade-storage.js';
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
  /** Clock in ms since the epoch; default `Date.now`. */
  now?: () => number;
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
    /** The schedule's clock and timers (default `systemScheduler`). */
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

/** Signs the claim of an activation bound to a token, with the token support of `openLicensing`. */
function bindingClaim(
  tokens: TokenLicenses | undefined,
  selector: BindTokenSelector,
  serial: string,
  now: Date,
): Promise<SignedTokenClaim> {
  if (tokens === undefined) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      "binding a license to a hardware token needs openLicensing's tokens option (lictor activate --bind-token)",
    );
  }
  return signTokenClaim(tokens.support(), selector, serial, now);
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
  const hardware =
    options.hardware ??
    cachedHardware(() => collectHardware(), {
      ...(options.hardwareMaxAgeMs === undefined ? {} : { maxAgeMs: options.hardwareMaxAgeMs }),
    });
  const now = options.now ?? Date.now;
  const app = applicationOf(options);
  const { product } = options;
  const usage = new UsageRecord(storeDir);
  const machineSecret = options.machineSecret ?? defaultMachineSecret();
  const clock = new ClockGuard(
    storeDir,
    machineSecret,
    publicKey,
    now,
    product || 'this product',
    options.clock,
    searchPaths,
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
  );
  // A token plugged in or pulled out, or the license in its memory rewritten: rebuild the snapshot,
  // then tell the listeners which licenses it concerns.
  const tokenChanged = async (change: TokenChange | undefined, paths: string[]) => {
    await load().catch(() => undefined);
    const shown = new Set(snapshot.files.map((f) => f.path));
    const changed = paths.filter((p) => shown.has(p)).sort();
    if (changed.length > 0) feed.emit({ added: [], removed: [], changed, ...(change ? { tokens: [change] } : {}) });
  };
  // A license file and its pending upgrade in the store, or a container in a token's memory.
  const storageOf = async (c: LoadedContainer): Promise<ContainerStorage> => {
    if (c.token === undefined) return fileStorage(c, storeDir);
    if (tokens === undefined) throw new Error('a token container is only loaded with the tokens option');
    return openTokenStorage(tokens.support(), c);
  };
  const network = new NetworkDongles(options.networkTokens ?? {}, env, (paths) => void tokenChanged(undefined, paths));
  let duplicateWatch: DuplicateDetection | undefined;
  /** Verifies a downloaded list against the one in force, then stores it (list and copy) and reloads. */
  const storeBlacklist = async (center: string, fetched: FetchedBlacklist): Promise<string> => {
    checkNotOlder(fetched, blacklistSequence, center);
    if (fetched.time) await clock.serverTime(fetched.time.signed, fetched.time.ms);
    const file = join(storeDir, BLACKLIST_FILE_NAME);
    await writeFileAtomic(seenBlacklistPath(storeDir), fetched.text);
    await writeFileAtomic(file, fetched.text);
    await load();
    return file;
  };
  let refresher: BlacklistRefresher | undefined;
  try {
    if (options.tokens !== undefined) {
      tokens = await TokenLicenses.open(options.tokens, {
        env,
        vendorKey: publicKey,
        onChange: (change, paths) => void tokenChanged(change, paths),
      });
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
    const refresh = options.blacklistRefresh;
    if (refresh !== undefined) {
      refresher = new BlacklistRefresher({
        center: refresh.center,
        publicKey,
        known: () => blacklistSequence,
        store: async (fetched) => {
          await storeBlacklist(refresh.center, fetched);
        },
        ...(refresh.intervalMs === undefined ? {} : { intervalMs: refresh.intervalMs }),
        ...(refresh.retryMs === undefined ? {} : { retryMs: refresh.retryMs }),
        ...(refresh.scheduler ? { scheduler: refresh.scheduler } : {}),
        ...(refresh.onError ? { onError: refresh.onError } : {}),
      });
      refresher.start();
    }
  } catch (err) {
    // Opening failed (a bad option, a port in use): nothing it started keeps running.
    feed.close();
    duplicateWatch?.close();
    await clock.close();
    await tokens?.close();
    network.close();
    throw err;
  }

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
    async activate(input: ActivateInput): Promise<ActivationResult> {
      const secret = await machineSecret();
      const keys = generateContainerKeys();
      const viaManager = input.networkToken && (await networkClaim(input, options.networkTokens, env));
      const token =
        viaManager ?? (input.bindToken && (await bindingClaim(tokens, input.bindToken, input.serial, new Date(now()))));
      const answer = await activateOnline(input, await hardware(), publicKey, keys.public, token?.activation);
      const file = join(storeDir, answer.fileName);
      // The key file first: a license without its key file would not be upgradable.
      await writeKeyFile(
        keyFilePath(file, answer.serial, answer.activationId),
        sealKeys(keys.private, secret, answer.containerId),
      );
      if (viaManager) await viaManager.record(storeDir, answer.activationId);
      await writeFileAtomic(file, answer.license);
      if (answer.time) await clock.serverTime(answer.time.signed, answer.time.ms);
      usage.touch(file, now());
      await load();
      return {
        activationId: answer.activationId,
        reactivated: answer.reactivated,
        serial: answer.serial,
        file,
        ...(token
          ? {
              token: {
                ...token.activation.claim.token,
                publicKey: token.activation.claim.publicKey,
                keyGenerated: token.keyGenerated,
                ...(viaManager ? { manager: viaManager.manager } : {}),
              },
            }
          : {}),
      };
    },
    storeDir,
    requestOffline: async (input, kind) =>
      createOfflineRequest(input, kind, await hardware(), storeDir, machineSecret, new Date(now())),
    async install(answer) {
      const hw = await hardware();
      const installed =
        'file' in answer
          ? await installAnswerFile(answer.file, publicKey, hw, storeDir, machineSecret)
          : await installAnswerCode(answer.code, publicKey, hw, storeDir, machineSecret);
      usage.touch(installed.file, now());
      await load();
      return installed;
    },
    requests: () => listRequests(storeDir),
    async refreshBlacklist(center, options = {}) {
      const list = await fetchBlacklist(center, publicKey, options.timeoutMs);
      const file = await storeBlacklist(center, list);
      const { serials, activations, sequence, issuedAt } = list;
      return { file, serials, activations, sequence, issuedAt };
    },
    blacklistRefresh: () => refresher?.status(),
    clock: () => clock.status(),
    cancelRequest: (id) => cancelRequest(storeDir, id),
    containers: () => snapshot.containers.map(containerInfo),
    answerKeys: () => answerKeysOf(snapshot.containers),
    async startUpgrade(containerId) {
      await load();
      const container = pickContainer(snapshot.containers, containerId);
      const started = await withStorage(storageOf, container, (storage) =>
        startUpgradeOf(container, storage, new Date(now())),
      );
      await load();
      return started;
    },
    async continueUpgrade(answer) {
      const doc = decodeLicenseFile(answer, publicKey);
      await load();
      const container = containersWithId(snapshot.containers, doc.containerId)[0];
      if (!container) {
        throw new LictorError(
          'LICTOR_E_UPGRADE_MISMATCH',
          `this answer is for container ${doc.containerId}, which is not on this computer (or not in these license directories)`,
        );
      }
      const result = await withStorage(storageOf, container, (storage) =>
        applyUpgrade(doc, answer, container, storage),
      );
      usage.touch(result.file, now());
      await load();
      // A file's change reaches the listeners through the watcher. The token poll compares with what
      // was just reloaded and would not tell, so this instance's listeners hear it here.
      if (container.token) feed.emit({ added: [], removed: [], changed: [container.path] });
      return result;
    },
    async confirmationCode(containerId) {
      await load();
      return lastConfirmationCode(pickContainer(snapshot.containers, containerId));
    },
    on: (_event, listener) => feed.on(listener),
    off: (_event, listener) => feed.off(listener),
    duplicateDetection: () => duplicateWatch?.status(),
    close: async () => {
      feed.close();
      refresher?.stop();
      duplicateWatch?.close();
      await usage.flush();
      await tokens?.close();
      network.close();
      await clock.close();
    },
  };
}
