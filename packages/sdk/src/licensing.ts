/**
 * `openLicensing`: what a vendor's application calls at start. It finds every license file
 * in the search paths, verifies and decrypts each, matches its binding against this
 * computer, and answers `check()` from memory, with no I/O and no throwing.
 */

import { join } from 'node:path';
import {
  type Blacklist,
  containerUsable,
  decodeBlacklist,
  decodeLicenseFile,
  type ErrorCode,
  entryUsable,
  generateContainerKeys,
  type HardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  LictorError,
  NO_TOKENS,
  parsePublicKey,
  type TokenPresenceLookup,
  type VendorPublicKey,
} from '@lictor/protocol';
import { type ActivateInput, type ActivationResult, activateOnline } from './activation-client.js';
import { fetchBlacklist } from './blacklist-client.js';
import { keyFilePath, sealKeys, writeKeyFile } from './container-keys.js';
import { type ContainerInfo, containerInfo, type LoadedContainer, loadContainers } from './containers.js';
import { loadDuplicateMarks } from './duplicates/marks.js';
import { announcedLicenses, startDuplicateWatch } from './duplicates/start.js';
import type { DuplicateDetectionOptions, DuplicateDetectionStatus } from './duplicates/watch.js';
import { BLACKLIST_FILE_NAME, scanLicenseDirs, writeFileAtomic } from './files.js';
import { cachedHardware, collectHardware, type HardwareSource } from './hardware/index.js';
import { defaultMachineSecret, type MachineSecretSource } from './machine-secret.js';
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
import { type BindTokenSelector, type SignedTokenClaim, signTokenClaim } from './tokens/activation.js';
import type { TokenLocation, TokenOptions } from './tokens/options.js';
import { type BoundFile, TokenLicenses, type TokenView } from './tokens/token-licenses.js';
import { openTokenStorage } from './tokens/token-storage.js';
import {
  type AppliedUpgrade,
  applyUpgrade,
  containersWithId,
  lastConfirmationCode,
  pickContainer,
  type StartedUpgrade,
  startUpgradeOf,
} from './upgrade.js';
import { type ContainerStorage, fileStorage, withStorage } from './upgrade-storage.js';
import { autoReload, type ChangeEvent, type TokenChange } from './watch.js';

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
  /** Architecture of the running process (default `process.arch`), for x86-only server licenses. */
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
}

/** A usable license for the requested product and feature. */
export interface Licensed {
  readonly ok: true;
  readonly product: string;
  readonly feature: string | undefined;
  readonly serial: string;
  readonly type: LicenseEntry['type'];
  /** Users granted for the feature (`null`: not counted). */
  readonly users: number | null;
  readonly expiresAt: string | null;
  /** The license file that serves the check. */
  readonly file: string;
}

/** Why no license is available. */
export interface NotLicensed {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly reason: string;
}

/** The result of {@link Licensing.check}. */
export type CheckResult = Licensed | NotLicensed;

/** Status of one license file, as `lictor status` shows it. */
export interface LicenseFileStatus {
  path: string;
  /** Whether the file can serve licenses on this computer. */
  available: boolean;
  code?: ErrorCode;
  reason?: string;
  serial?: string;
  activationId?: string;
  issuedAt?: string;
  licenses?: LicenseEntry[];
  /** Another, more recent file for the same serial is used instead. */
  supersededBy?: string;
  /** The container the file holds, and whether it can be upgraded remotely. */
  container?: ContainerInfo;
  /** The hardware token whose memory holds this license (then `path` is `token:<manufacturer>/<serial>`). */
  onToken?: TokenLocation;
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
  /** Downloads the vendor's signed blacklist into the store and reloads. */
  refreshBlacklist(center: string): Promise<{ file: string; serials: number; activations: number }>;
  /** Every license container found, with its counter and whether it can be upgraded. */
  containers(): readonly ContainerInfo[];
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

interface Candidate {
  expiresAtMs: number;
  entry: LicenseEntry;
  result: Licensed;
  expired: NotLicensed;
}

interface Snapshot {
  files: LicenseFileStatus[];
  containers: LoadedContainer[];
  /** Usable entries of the product per feature (`''` = the product itself), best first. */
  byFeature: Map<string, Candidate[]>;
  /** Why the product is not licensed at all, when no entry is usable. */
  refusal: NotLicensed;
}

const NOT_FOUND_CODE: ErrorCode = 'LICTOR_E_NOT_LICENSED';

/** Default period of the change poll (see {@link LicensingOptions.watchIntervalMs}). */
const DEFAULT_WATCH_INTERVAL_MS = 2000;

function refusal(code: ErrorCode, reason: string): NotLicensed {
  return Object.freeze({ ok: false, code, reason });
}

interface DecodedDoc {
  path: string;
  doc: LicenseDocument;
  mtimeMs: number;
  text: string;
  /** For a license stored on a token: whether that token is the one it was programmed for, now. */
  presence?: TokenPresenceLookup;
}

interface Decoded {
  docs: DecodedDoc[];
  files: LicenseFileStatus[];
  blacklist: Blacklist;
  /** Activation id → why it is a duplicate (from verified marks). */
  duplicates: ReadonlyMap<string, string>;
}

function decodeAll(
  found: Awaited<ReturnType<typeof scanLicenseDirs>>,
  publicKey: VendorPublicKey,
  duplicates: ReadonlyMap<string, string>,
): Decoded {
  const serials = new Set<string>();
  const activations = new Set<string>();
  const docs: DecodedDoc[] = [];
  const files: LicenseFileStatus[] = [];
  for (const f of found) {
    if ('error' in f) {
      files.push({
        path: f.path,
        available: false,
        code: 'LICTOR_E_FILE_UNREADABLE',
        reason: `skipped ${f.kind}: ${f.error}`,
      });
      continue;
    }
    try {
      if (f.kind === 'blacklist') {
        const list = decodeBlacklist(f.text, publicKey);
        for (const s of list.serials) serials.add(s);
        for (const a of list.activations) activations.add(a);
      } else {
        docs.push({ path: f.path, doc: decodeLicenseFile(f.text, publicKey), mtimeMs: f.mtimeMs, text: f.text });
      }
    } catch (err) {
      if (!(err instanceof LictorError)) throw err;
      files.push({ path: f.path, available: false, code: err.code, reason: err.message });
    }
  }
  return { docs, files, blacklist: { serials, activations }, duplicates };
}

function buildSnapshot(
  product: string,
  { docs, files, blacklist, duplicates }: Decoded,
  containers: Map<string, LoadedContainer>,
  hardware: HardwareParams,
  arch: string,
  nowMs: number,
  searchPaths: readonly string[],
  tokenPresence: TokenPresenceLookup,
): Snapshot {
  // Several files for one serial on one computer: the most recently issued one is used.
  docs.sort((a, b) => Date.parse(b.doc.issuedAt) - Date.parse(a.doc.issuedAt) || b.mtimeMs - a.mtimeMs);
  const newestPerSerial = new Map<string, string>();
  const usable: { path: string; entry: LicenseEntry; doc: LicenseDocument }[] = [];
  let best: NotLicensed | undefined;
  for (const { path, doc, presence } of docs) {
    const status: LicenseFileStatus = {
      path,
      available: false,
      serial: doc.serial,
      activationId: doc.activationId,
      issuedAt: doc.issuedAt,
      licenses: doc.licenses,
    };
    files.push(status);
    const container = containers.get(path);
    if (container) status.container = containerInfo(container);
    if (container?.token) status.onToken = container.token;
    const keyRefusal = container && !container.keys.ok && doc.policy === 'software-dongle' ? container.keys : undefined;
    const duplicate = duplicates.get(doc.activationId);
    const usableHere =
      keyRefusal ??
      (duplicate === undefined
        ? containerUsable(doc, hardware, blacklist, presence ?? tokenPresence)
        : { ok: false as const, code: 'LICTOR_E_DUPLICATE_LICENSE' as const, reason: duplicate });
    if (!usableHere.ok) {
      status.code = usableHere.code;
      status.reason = usableHere.reason;
      if (doc.licenses.some((e) => e.product === product))
        best ??= refusal(usableHere.code, `${path}: ${usableHere.reason}`);
      continue;
    }
    const newer = newestPerSerial.get(doc.serial);
    if (newer !== undefined) {
      status.supersededBy = newer;
      status.reason = `a more recent file for serial ${doc.serial} is used: ${newer}`;
      continue;
    }
    newestPerSerial.set(doc.serial, path);
    status.available = true;
    for (const entry of doc.licenses) {
      if (entry.product !== product) continue;
      const decision = entryUsable(entry, arch, nowMs);
      if (!decision.ok && decision.code !== 'LICTOR_E_LICENSE_EXPIRED') {
        best ??= refusal(decision.code, decision.reason);
        continue;
      }
      usable.push({ path, entry, doc });
    }
  }

  const byFeature = new Map<string, Candidate[]>();
  const add = (key: string, c: Candidate) => {
    const list = byFeature.get(key) ?? [];
    list.push(c);
    byFeature.set(key, list);
  };
  for (const { path, entry, doc } of usable) {
    const expiresAtMs = entry.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(entry.expiresAt);
    const make = (feature: string | undefined, users: number | null): Candidate => ({
      expiresAtMs,
      entry,
      result: Object.freeze({
        ok: true,
        product,
        feature,
        serial: doc.serial,
        type: entry.type,
        users,
        expiresAt: entry.expiresAt,
        file: path,
      }),
      expired: refusal(
        'LICTOR_E_LICENSE_EXPIRED',
        `${product}${feature ? `/${feature}` : ''} expired on ${entry.expiresAt}; renew the license`,
      ),
    });
    add('', make(undefined, entry.users));
    for (const f of entry.features) add(f.code, make(f.code, f.users));
  }
  // Longest-lived license first, so a check uses the one that expires last.
  for (const list of byFeature.values()) list.sort((a, b) => b.expiresAtMs - a.expiresAtMs);

  const where = searchPaths.length > 0 ? searchPaths.join(', ') : '(no search paths)';
  // With token support on, a license on a token that is not plugged in is simply not seen.
  const orToken = tokenPresence === NO_TOKENS ? '' : ', nor on a hardware token plugged in here';
  return {
    files,
    containers: [...containers.values()],
    byFeature,
    refusal: best ?? refusal(NOT_FOUND_CODE, `no license file for product ${product} was found in ${where}${orToken}`),
  };
}

/** The license files on disk that are bound to a hardware token. */
function tokenBoundFiles(docs: readonly DecodedDoc[]): BoundFile[] {
  const out: BoundFile[] = [];
  for (const { path, doc } of docs) if (doc.binding.kind === 'token') out.push({ path, binding: doc.binding });
  return out;
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

/** Adds the licenses stored on tokens, and what is wrong with tokens, to what was loaded from disk. */
function addTokenView(decoded: Decoded, containers: Map<string, LoadedContainer>, view: TokenView): void {
  for (const p of view.problems) {
    decoded.files.push({
      path: p.path,
      available: false,
      code: p.code,
      reason: p.reason,
      ...(p.onToken ? { onToken: p.onToken } : {}),
    });
  }
  for (const c of view.containers) {
    decoded.docs.push({ path: c.path, doc: c.doc, mtimeMs: 0, text: c.text, presence: c.presence });
    const { doc, path, text, keys, pending, location } = c;
    containers.set(path, { doc, path, text, keys, pending, token: location });
  }
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
  const arch = options.arch ?? process.arch;
  const { product } = options;
  const machineSecret = options.machineSecret ?? defaultMachineSecret();

  let snapshot: Snapshot;
  let started = 0;
  let applied = 0;
  let tokens: TokenLicenses | undefined;
  const load = async () => {
    const seq = ++started;
    const [found, hw, marks] = await Promise.all([
      scanLicenseDirs(searchPaths),
      hardware(),
      loadDuplicateMarks(storeDir, publicKey),
    ]);
    const decoded = decodeAll(found, publicKey, marks);
    const containers = await loadContainers(decoded.docs, machineSecret, storeDir);
    const tokenView = await tokens?.refresh(tokenBoundFiles(decoded.docs));
    if (tokenView) addTokenView(decoded, containers, tokenView);
    const next = buildSnapshot(
      product,
      decoded,
      containers,
      hw,
      arch,
      now(),
      searchPaths,
      tokenView?.presence ?? NO_TOKENS,
    );
    // Loads may overlap (the watcher and an explicit reload): a load started later wins.
    if (seq > applied) {
      applied = seq;
      snapshot = next;
    }
  };
  const feed = await autoReload(
    searchPaths,
    load,
    options.watch === false ? null : (options.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS),
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
  if (options.tokens !== undefined) {
    tokens = await TokenLicenses.open(options.tokens, {
      env,
      vendorKey: publicKey,
      onChange: (change, paths) => void tokenChanged(change, paths),
    });
  }
  await load();
  const duplicateWatch =
    options.duplicateDetection === undefined
      ? undefined
      : await startDuplicateWatch(options.duplicateDetection, {
          publicKey,
          storeDir,
          machineSecret,
          now,
          inUse: () => announcedLicenses(snapshot.files, snapshot.containers),
          reload: load,
        });

  const missingFeature = (feature: string) =>
    refusal('LICTOR_E_FEATURE_NOT_LICENSED', `the license for ${product} does not include feature ${feature}`);

  return {
    product,
    searchPaths,
    check(feature?: string): CheckResult {
      const candidates = snapshot.byFeature.get(feature ?? '');
      if (candidates === undefined) {
        return feature !== undefined && snapshot.byFeature.has('') ? missingFeature(feature) : snapshot.refusal;
      }
      const t = now();
      for (const c of candidates) if (t < c.expiresAtMs) return c.result;
      return (candidates[0] as Candidate).expired;
    },
    status: () => snapshot.files,
    reload: load,
    async activate(input: ActivateInput): Promise<ActivationResult> {
      const secret = await machineSecret();
      const keys = generateContainerKeys();
      const token = input.bindToken && (await bindingClaim(tokens, input.bindToken, input.serial, new Date(now())));
      const answer = await activateOnline(input, await hardware(), publicKey, keys.public, token?.activation);
      const file = join(storeDir, answer.fileName);
      // The key file first: a license without its key file would not be upgradable.
      await writeKeyFile(
        keyFilePath(file, answer.serial, answer.activationId),
        sealKeys(keys.private, secret, answer.containerId),
      );
      await writeFileAtomic(file, answer.license);
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
      await load();
      return installed;
    },
    requests: () => listRequests(storeDir),
    async refreshBlacklist(center) {
      const list = await fetchBlacklist(center, publicKey);
      const file = join(storeDir, BLACKLIST_FILE_NAME);
      await writeFileAtomic(file, list.text);
      await load();
      return { file, serials: list.serials, activations: list.activations };
    },
    cancelRequest: (id) => cancelRequest(storeDir, id),
    containers: () => snapshot.containers.map(containerInfo),
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
      duplicateWatch?.close();
      await tokens?.close();
    },
  };
}
