/**
 * The licensing state `check()` answers from: every license file (on disk or on a token)
 * decoded, matched against this computer, and for the product a map feature → usable licenses,
 * longest-lived first, with their results built in advance.
 */
import {
  type Application,
  type Blacklist,
  containerUsable,
  decodeBlacklist,
  decodeLicenseFile,
  type ErrorCode,
  entryUsable,
  type HardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  LictorError,
  NO_TOKENS,
  type TokenPresenceLookup,
  type VendorPublicKey,
  type VerifiedBlacklist,
} from '@lictor/protocol';
import { type ContainerInfo, containerInfo, type LoadedContainer } from './containers.js';
import type { FoundFile } from './files.js';
import type { TokenLocation } from './tokens/options.js';
import type { BoundFile, TokenView } from './tokens/token-licenses.js';
import type { ClockGuard } from './trust/clock.js';

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

/** A usable entry for one feature, with what `check()` answers before and after it expires. */
export interface Candidate {
  expiresAtMs: number;
  /** Time-limited: the clock mark applies (perpetual licenses do not depend on the clock). */
  limited: boolean;
  /** A clock reading before this is set back (the issue time, less the allowed skew). */
  notBeforeMs: number;
  /** Bound to or stored on a hardware token: used after every software license. */
  token: boolean;
  result: Licensed;
  expired: NotLicensed;
  /** The answer for a clock before {@link notBeforeMs}. */
  beforeIssue: NotLicensed;
}

/** What `check()`, `status()` and `containers()` read; rebuilt by every load. */
export interface Snapshot {
  files: LicenseFileStatus[];
  containers: LoadedContainer[];
  /** Usable entries of the product per feature (`''` = the product itself), best first. */
  byFeature: Map<string, Candidate[]>;
  /**
   * Per feature (`''` = the product), why the license that would grant it cannot: a file bound
   * elsewhere, a token pulled out, a type that does not serve this application. The first found.
   */
  blocked: Map<string, NotLicensed>;
  /** Why the product is not licensed at all, when no entry is usable. */
  refusal: NotLicensed;
}

/** Placeholder of {@link Candidate.beforeIssue} for perpetual licenses (never returned). */
const NO_ROLLBACK: NotLicensed = Object.freeze({ ok: false, code: 'LICTOR_E_CLOCK_ROLLBACK', reason: '' });

/** A frozen refusal (`check()` hands out the same object every time). */
export function refusal(code: ErrorCode, reason: string): NotLicensed {
  return Object.freeze({ ok: false, code, reason });
}

/** A license file verified and decrypted, or a license read from a token. */
interface DecodedDoc {
  path: string;
  doc: LicenseDocument;
  mtimeMs: number;
  text: string;
  /** For a license stored on a token: whether that token is the one it was programmed for, now. */
  presence?: TokenPresenceLookup;
}

/** A blacklist file that verified. */
export interface FoundBlacklist {
  path: string;
  text: string;
  list: VerifiedBlacklist;
}

/** Everything a load read, before it is matched against this computer. */
export interface Decoded {
  docs: DecodedDoc[];
  files: LicenseFileStatus[];
  /** The newest blacklist (the union of those with the highest sequence). */
  blacklist: Blacklist;
  /** The highest blacklist sequence found, and a file that holds it (`undefined`: no list). */
  newestBlacklist: FoundBlacklist | undefined;
  /** The latest signed time in the files: their issue times (a lower bound of the true time). */
  signedFloorMs: number;
  /** Activation id → why it is a duplicate (from verified marks). */
  duplicates: ReadonlyMap<string, string>;
}

/** Verifies and decrypts the license and blacklist files found; a file that fails gets a status with the reason. */
export function decodeAll(
  found: readonly FoundFile[],
  publicKey: VendorPublicKey,
  duplicates: ReadonlyMap<string, string>,
  seenBlacklists: readonly { path: string; text: string }[] = [],
): Decoded {
  const lists: FoundBlacklist[] = [];
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
        lists.push({ path: f.path, text: f.text, list: decodeBlacklist(f.text, publicKey) });
      } else {
        docs.push({ path: f.path, doc: decodeLicenseFile(f.text, publicKey), mtimeMs: f.mtimeMs, text: f.text });
      }
    } catch (err) {
      if (!(err instanceof LictorError)) throw err;
      files.push({ path: f.path, available: false, code: err.code, reason: err.message });
    }
  }
  const seen: FoundBlacklist[] = [];
  for (const copy of seenBlacklists) {
    const verified = verifiedOrReported(copy, publicKey, files);
    if (verified) seen.push(verified);
  }
  const { blacklist, newest } = newestBlacklist(lists, seen, files);
  let signedFloorMs = newest === undefined ? Number.NEGATIVE_INFINITY : Date.parse(newest.list.issuedAt);
  for (const { doc } of docs) signedFloorMs = Math.max(signedFloorMs, Date.parse(doc.issuedAt));
  if (Number.isNaN(signedFloorMs)) signedFloorMs = Number.NEGATIVE_INFINITY;
  return { docs, files, blacklist, newestBlacklist: newest, signedFloorMs, duplicates };
}

/** A copy of the newest blacklist seen (in a search path), verified again; a copy that fails is reported. */
function verifiedOrReported(
  copy: { path: string; text: string },
  publicKey: VendorPublicKey,
  files: LicenseFileStatus[],
): FoundBlacklist | undefined {
  try {
    return { ...copy, list: decodeBlacklist(copy.text, publicKey) };
  } catch (err) {
    if (!(err instanceof LictorError)) throw err;
    files.push({ path: copy.path, available: false, code: err.code, reason: err.message });
    return undefined;
  }
}

/**
 * The blacklist in force: the lists with the highest sequence (their union; lists of one sequence
 * hold the same entries). A list file older than that is reported and not used: it cannot bring
 * back what a newer one blacklisted, and removing the newer file does not either while the
 * copies kept in the search paths (`seen`) hold it.
 */
function newestBlacklist(
  lists: readonly FoundBlacklist[],
  seen: readonly FoundBlacklist[],
  files: LicenseFileStatus[],
): { blacklist: Blacklist; newest: FoundBlacklist | undefined } {
  // The copy first: on a tie it stays the newest, and is not written again.
  const all = [...seen, ...lists];
  let newest: FoundBlacklist | undefined;
  for (const l of all) if (newest === undefined || l.list.sequence > newest.list.sequence) newest = l;
  const serials = new Set<string>();
  const activations = new Set<string>();
  for (const l of all) {
    if (newest !== undefined && l.list.sequence < newest.list.sequence) {
      if (!seen.includes(l)) {
        files.push({
          path: l.path,
          available: false,
          code: 'LICTOR_E_BLACKLIST_STALE',
          reason: `this blacklist (sequence ${l.list.sequence}, issued ${l.list.issuedAt}) is older than the one in force here (sequence ${newest.list.sequence}); it is not used: remove it, or run lictor blacklist --center URL`,
        });
      }
      continue;
    }
    for (const s of l.list.serials) serials.add(s);
    for (const a of l.list.activations) activations.add(a);
  }
  return { blacklist: { serials, activations }, newest };
}

/** Records, for every feature an entry grants (and the product itself), why it cannot serve. */
function block(blocked: Map<string, NotLicensed>, entry: LicenseEntry, why: NotLicensed): void {
  if (!blocked.has('')) blocked.set('', why);
  for (const f of entry.features) if (!blocked.has(f.code)) blocked.set(f.code, why);
}

/**
 * Matches what was decoded against this computer and the clock, and indexes the product's usable
 * entries. `usedAt` is when each file last served a check here (ms), for the rule "of several
 * files of one serial, the one created or used most recently".
 */
export function buildSnapshot(
  product: string,
  { docs, files, blacklist, duplicates }: Decoded,
  containers: Map<string, LoadedContainer>,
  hardware: HardwareParams,
  app: Application,
  nowMs: number,
  searchPaths: readonly string[],
  tokenPresence: TokenPresenceLookup,
  clock: ClockGuard,
  usedAt: ReadonlyMap<string, number> = new Map(),
): Snapshot {
  // Several files for one serial on one computer: the one created (issued) or used most recently.
  // An older state of an upgraded container never wins (a kept copy of a license whose upgrade took
  // features away stays superseded, whatever the record of use says).
  const latest = new Map<string, number>();
  for (const { doc } of docs) latest.set(doc.containerId, Math.max(latest.get(doc.containerId) ?? 0, doc.counter));
  const recency = (d: DecodedDoc) =>
    d.doc.counter < (latest.get(d.doc.containerId) ?? 0)
      ? Number.NEGATIVE_INFINITY
      : Math.max(Date.parse(d.doc.issuedAt), usedAt.get(d.path) ?? 0);
  docs.sort((a, b) => recency(b) - recency(a) || b.mtimeMs - a.mtimeMs);
  const newestPerSerial = new Map<string, string>();
  const byFeature = new Map<string, Candidate[]>();
  const blocked = new Map<string, NotLicensed>();
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
      const why = refusal(usableHere.code, `${path}: ${usableHere.reason}`);
      for (const entry of doc.licenses) {
        if (entry.product !== product) continue;
        best ??= why;
        block(blocked, entry, why);
      }
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
    const token = doc.binding.kind === 'token' || container?.token !== undefined || presence !== undefined;
    for (const entry of doc.licenses) {
      if (entry.product !== product) continue;
      const decision = entryUsable(entry, app, nowMs);
      if (!decision.ok && decision.code !== 'LICTOR_E_LICENSE_EXPIRED') {
        const why = refusal(decision.code, decision.reason);
        best ??= why;
        block(blocked, entry, why);
        continue;
      }
      addCandidates(byFeature, product, path, doc, entry, token, clock);
    }
  }
  // Software licenses before token licenses (the documents' order), and within each the
  // longest-lived first, so a check uses the one that expires last.
  for (const list of byFeature.values()) {
    list.sort((a, b) => Number(a.token) - Number(b.token) || b.expiresAtMs - a.expiresAtMs);
  }

  const where = searchPaths.length > 0 ? searchPaths.join(', ') : '(no search paths)';
  // With token support on, a license on a token that is not plugged in is simply not seen.
  const orToken = tokenPresence === NO_TOKENS ? '' : ', nor on a hardware token plugged in here';
  return {
    files,
    containers: [...containers.values()],
    byFeature,
    blocked,
    refusal:
      best ??
      refusal('LICTOR_E_NOT_LICENSED', `no license file for product ${product} was found in ${where}${orToken}`),
  };
}

/** Indexes the candidates of a usable entry: the product itself (key `''`) and each of its features. */
function addCandidates(
  byFeature: Map<string, Candidate[]>,
  product: string,
  file: string,
  { serial, issuedAt }: LicenseDocument,
  entry: LicenseEntry,
  token: boolean,
  clock: ClockGuard,
): void {
  const expiresAtMs = entry.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(entry.expiresAt);
  const limited = entry.expiresAt !== null;
  const notBeforeMs = Date.parse(issuedAt) - clock.issueSkewMs;
  // One refusal per license, shared by its features; perpetual licenses never use it.
  const beforeIssue = limited ? clock.beforeIssue(issuedAt) : NO_ROLLBACK;
  const add = (feature: string | undefined, users: number | null) => {
    const candidate: Candidate = {
      expiresAtMs,
      limited,
      notBeforeMs,
      beforeIssue,
      token,
      result: Object.freeze({
        ok: true,
        product,
        feature,
        serial,
        type: entry.type,
        users,
        expiresAt: entry.expiresAt,
        file,
      }),
      expired: refusal(
        'LICTOR_E_LICENSE_EXPIRED',
        `${product}${feature ? `/${feature}` : ''} expired on ${entry.expiresAt}; renew the license`,
      ),
    };
    const key = feature ?? '';
    const list = byFeature.get(key);
    if (list === undefined) byFeature.set(key, [candidate]);
    else list.push(candidate);
  };
  add(undefined, entry.users);
  for (const f of entry.features) add(f.code, f.users);
}

/** The license files on disk that are bound to a hardware token. */
export function tokenBoundFiles(docs: readonly DecodedDoc[]): BoundFile[] {
  const out: BoundFile[] = [];
  for (const { path, doc } of docs) if (doc.binding.kind === 'token') out.push({ path, binding: doc.binding });
  return out;
}

/** Adds the licenses stored on tokens, and what is wrong with tokens, to what was loaded from disk. */
export function addTokenView(decoded: Decoded, containers: Map<string, LoadedContainer>, view: TokenView): void {
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
    const issued = Date.parse(c.doc.issuedAt);
    if (issued > decoded.signedFloorMs) decoded.signedFloorMs = issued;
    const { doc, path, text, keys, pending, location } = c;
    containers.set(path, { doc, path, text, keys, pending, token: location });
  }
}
