/**
 * The network License Manager: a {@link LeasePool} with an event log, persistence of its
 * leases across restarts, and a reaper. The HTTP service (`buildManagerServer`) sits on top.
 */

import { mkdir, open as openFile, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { constantTimeEqual, LictorError, sha256 } from '@lictor/protocol';
import { accessGate } from './access-gate.js';
import { type AccessRules, NO_ACCESS_RULES } from './access-rules.js';
import { DEFAULT_ACCESS_RULES_POLL_MS, readAccessRulesFile, watchAccessRulesFile } from './access-rules-file.js';
import { AddressSeats, addressCapGate, observeAll } from './address-seats.js';
import { copyClient } from './counting.js';
import { GroupSeatTally } from './group-seat-tally.js';
import { DEFAULT_LEASE_TTL_MS, LeasePool } from './lease-pool.js';
import type {
  AcquireRequest,
  AcquireResult,
  ClientIdentity,
  HeartbeatResult,
  Lease,
  LicenseUsage,
  PoolLicense,
  PoolSnapshot,
} from './types.js';

/** Default interval at which clients send heartbeats. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 20_000;
/** Default minimum time between two snapshots of the leases. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 1_000;
/** Events the ring buffer keeps. */
export const MANAGER_EVENT_CAPACITY = 1_000;
/** The manager's version, announced by `GET /v1/status`. */
export const MANAGER_VERSION = '0.1.0';

/** Options of {@link LicenseManager.open}. */
export interface LicenseManagerOptions {
  /** JSON `PoolSnapshot` of the leases; created on first write. */
  stateFile: string;
  licenses: readonly PoolLicense[];
  /** The clock, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** A lease lapses this long after its last heartbeat. Default 60 000. */
  leaseTtlMs?: number;
  /** How often clients are told to send heartbeats; must be below `leaseTtlMs`. Default 20 000. */
  heartbeatIntervalMs?: number;
  /** Minimum time between two snapshots written after changes. Default 1 000. */
  snapshotIntervalMs?: number;
  /** How often the reaper runs. Default min(1 000, leaseTtlMs). */
  reapIntervalMs?: number;
  /** SHA-256 of the admin token, lowercase hex (64 characters). */
  adminTokenHash: string;
  /** This manager's name, announced by `GET /v1/status`. */
  id: string;
  /**
   * The access rules file (`<data>/access.rules`): read at open (a broken file refuses to
   * open, naming the line) and reloaded when it changes; a broken change keeps the rules in
   * force and records an `access-rules-rejected` event. No file: no rules.
   */
  accessRulesFile?: string;
  /** Access rules in force from the start when no `accessRulesFile` is given. */
  accessRules?: AccessRules;
  /** Poll period of `accessRulesFile`, besides `fs.watch`. Default 1 000. */
  accessRulesPollMs?: number;
  /**
   * The most seats of one product that the clients of one address (as seen on the socket) may
   * hold, whatever names they declare (`--max-seats-per-address`); default no cap. See `address-seats.ts`.
   */
  maxSeatsPerAddress?: number;
  /** Called with each event once recorded (e.g. to log rejected access rules). */
  onEvent?: (event: ManagerEvent) => void;
}

/** The kinds of {@link ManagerEvent}, as the HTTP service lists them. */
export const MANAGER_EVENT_KINDS = [
  'granted',
  'renewed',
  'released',
  'expired',
  'refused',
  'licenses-changed',
  'restored',
  'access-rules-loaded',
  'access-rules-rejected',
] as const;

/** What happened in the manager, newest kept in a ring buffer. */
export type ManagerEventKind = (typeof MANAGER_EVENT_KINDS)[number];

/** One event of {@link LicenseManager.events}. */
export interface ManagerEvent {
  /** ISO 8601 time. */
  at: string;
  kind: ManagerEventKind;
  leaseId?: string;
  product?: string;
  client?: ClientIdentity;
  detail?: string;
}

/** Seats of one product, summed over its licenses. */
export interface ProductStatus {
  product: string;
  inUse: number;
  total: number;
}

/** What {@link LicenseManager.status} reports (the body of `GET /v1/status`). */
export interface ManagerStatus {
  manager: { id: string; version: string };
  heartbeatIntervalMs: number;
  leaseTtlMs: number;
  products: ProductStatus[];
}

/** A lease as clients see it on the wire. */
export interface LeaseBody {
  id: string;
  product: string;
  feature: string | null;
  licenseId: string;
  source: 'software' | 'token';
  grantedAt: string;
  /** The lease's deadline if no heartbeat comes. */
  expiresAt: string;
  heartbeatIntervalMs: number;
}

/** A lease as administrators see it. */
export interface AdminLeaseBody extends LeaseBody {
  client: ClientIdentity;
  heartbeatAt: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `${name} must be a positive number of milliseconds`);
  }
  return value;
}

/**
 * A snapshot waits at least this many times as long as the last one spent making its bytes, so
 * that writing many leases takes about a tenth of the manager's time at most.
 */
const SNAPSHOT_SPACING = 9;

/**
 * The state file's bytes, in pieces (see `LeasePool.snapshotJson`); adds the time spent making
 * them to `spent.ms`.
 */
function* snapshotFileBytes(pool: LeasePool, spent: { ms: number }): Generator<Buffer> {
  const pieces = pool.snapshotJson();
  for (;;) {
    const start = performance.now();
    const piece = pieces.next();
    const bytes = piece.done ? null : Buffer.from(piece.value, 'utf8');
    spent.ms += performance.now() - start;
    if (bytes === null) break;
    yield bytes;
  }
  yield Buffer.from('\n');
}

/**
 * Writes `text`, given in pieces, to `file` atomically: a temporary file in the same directory, fsync'd, then
 * renamed over `file`, then the directory fsync'd (best effort) so the rename is durable.
 */
async function writeFileAtomic(file: string, text: Iterable<string | Uint8Array>): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const handle = await openFile(temp, 'w', 0o600);
  try {
    await writeFile(handle, text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  try {
    const dir = await openFile(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}

/**
 * The License Manager. Open it with {@link LicenseManager.open}; {@link close} it to stop its
 * timers and write the last snapshot.
 *
 * Persistence: after a change the leases are written at most every `snapshotIntervalMs`
 * (a dirty flag and one timer), and on close; with many leases, at most every nine times as
 * long as the last snapshot took to make, so that snapshots take about a tenth of the manager's
 * time at most (100,000 leases are 31 MB of JSON, made in 0.3 to 0.5 s on a 2-core VM: written
 * at most every 3 to 5 s). Snapshots are made and written in pieces of 500 leases, so the event
 * loop is never held for long. After a crash (SIGKILL, power loss) the manager restores the last
 * snapshot: `LeasePool.restore` re-checks capacity against the licenses served now, so there
 * are never more leases than seats. Leases granted (or released) since the last snapshot before
 * the crash can be missing (or back) after it. This is a
 * deliberate trade: a client whose lease is missing gets `404 LICTOR_E_LEASE_UNKNOWN` on its
 * next heartbeat and re-attaches with `POST /v1/leases` carrying its identity and old lease
 * id; it gets a seat again (under a new lease id) if one is free. A released lease that comes
 * back simply lapses after `leaseTtlMs` without heartbeats.
 *
 * Heartbeats alone are persisted at the heartbeat cadence, not every `snapshotIntervalMs`:
 * with many clients, steady heartbeats would otherwise rewrite every lease each second. A
 * restored lease's last heartbeat is then at most one heartbeat interval old, well inside its
 * TTL, so a restart does not expire live leases.
 */
export class LicenseManager {
  readonly id: string;
  readonly stateFile: string;
  readonly leaseTtlMs: number;
  readonly heartbeatIntervalMs: number;
  readonly snapshotIntervalMs: number;
  private readonly now: () => number;
  private readonly adminTokenHash: Uint8Array;
  private readonly ring: ManagerEvent[] = [];
  private ringStart = 0;
  private dirty = false;
  /** Event-loop time the last snapshot spent making its bytes, in ms. */
  private snapshotMs = 0;
  /** A snapshot is being written. */
  private writing = false;
  /** The snapshot timer fired during a write: the next snapshot is scheduled when it ends. */
  private snapshotDeferred = false;
  private closed = false;
  private snapshotTimer: NodeJS.Timeout | null = null;
  /** When the scheduled snapshot runs (`Date.now()` time, like the timer). */
  private snapshotDueAt = 0;
  private readonly reaper: NodeJS.Timeout;
  private writes: Promise<void> = Promise.resolve();
  /** The last error writing the state file, or `null` after a successful write. */
  lastPersistError: Error | null = null;
  /** The access rules in force with their seat counts, or `null` without rules. */
  private tally: GroupSeatTally | null = null;
  private stopRulesWatch: (() => void) | null = null;
  private readonly onEvent: ((event: ManagerEvent) => void) | undefined;
  /** Seats per client address, when `maxSeatsPerAddress` caps them. */
  private readonly addressSeats: AddressSeats | null;
  private readonly maxSeatsPerAddress: number;

  private constructor(
    private readonly pool: LeasePool,
    options: LicenseManagerOptions,
    now: () => number,
    adminTokenHash: Uint8Array,
  ) {
    this.id = options.id;
    this.stateFile = options.stateFile;
    this.now = now;
    this.adminTokenHash = adminTokenHash;
    this.leaseTtlMs = pool.leaseTtlMs;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.snapshotIntervalMs = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
    this.onEvent = options.onEvent;
    this.maxSeatsPerAddress = options.maxSeatsPerAddress ?? 0;
    this.addressSeats = this.maxSeatsPerAddress > 0 ? new AddressSeats(pool.leases()) : null;
    pool.observe(this.addressSeats);
    const reapEvery = options.reapIntervalMs ?? Math.min(1_000, this.leaseTtlMs);
    this.reaper = setInterval(() => this.expire(), reapEvery);
    this.reaper.unref();
  }

  /** Opens the manager and restores the leases of `stateFile` that still fit. */
  static async open(options: LicenseManagerOptions): Promise<LicenseManager> {
    const now = options.now ?? Date.now;
    const leaseTtlMs = positive('leaseTtlMs', options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
    const heartbeat = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
    positive('snapshotIntervalMs', options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS);
    if (options.reapIntervalMs !== undefined) positive('reapIntervalMs', options.reapIntervalMs);
    const cap = options.maxSeatsPerAddress;
    if (cap !== undefined && !(Number.isSafeInteger(cap) && cap >= 1)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'maxSeatsPerAddress must be a whole number ≥ 1');
    }
    if (heartbeat >= leaseTtlMs) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'heartbeatIntervalMs must be below leaseTtlMs');
    }
    if (!/^[0-9a-fA-F]{64}$/.test(options.adminTokenHash)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'adminTokenHash must be a SHA-256 in hex (64 characters)');
    }
    const tokenHash = new Uint8Array(Buffer.from(options.adminTokenHash, 'hex'));
    const rulesFile = options.accessRulesFile;
    const rulesPollMs = positive('accessRulesPollMs', options.accessRulesPollMs ?? DEFAULT_ACCESS_RULES_POLL_MS);
    const loadedRules = rulesFile === undefined ? null : await readAccessRulesFile(rulesFile);
    await mkdir(dirname(options.stateFile), { recursive: true });

    const notes: Omit<ManagerEvent, 'at'>[] = [];
    let text: string | null = null;
    try {
      text = await readFile(options.stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read the state file ${options.stateFile}`, {
          cause: (error as Error).message,
        });
      }
    }

    let pool: LeasePool | null = null;
    if (text !== null) {
      try {
        const snapshot = JSON.parse(text) as PoolSnapshot;
        if (snapshot === null || typeof snapshot !== 'object' || !Array.isArray(snapshot.leases)) {
          throw new LictorError('LICTOR_E_FILE_FORMAT', 'not a lease pool snapshot');
        }
        const restored = LeasePool.restore(snapshot, { now, leaseTtlMs, licenses: options.licenses });
        pool = restored.pool;
        for (const { lease, reason } of restored.dropped) {
          notes.push({
            kind: 'restored',
            leaseId: lease.id,
            product: lease.product,
            client: copyClient(lease.client),
            detail: `lease dropped on restore: ${reason}`,
          });
        }
        notes.push({
          kind: 'restored',
          detail: `${pool.size} lease(s) restored, ${restored.dropped.length} dropped`,
        });
      } catch (error) {
        if (error instanceof LictorError && error.code === 'LICTOR_E_INVALID_INPUT') throw error; // bad licenses
        const aside = `${options.stateFile}.corrupt-${now()}`;
        await rename(options.stateFile, aside);
        notes.push({
          kind: 'restored',
          detail: `state file unreadable (${(error as Error).message}); moved aside to ${aside}; starting empty`,
        });
      }
    }
    if (pool === null) {
      pool = new LeasePool({ now, leaseTtlMs });
      pool.replaceLicenses(options.licenses);
    }
    const manager = new LicenseManager(pool, options, now, tokenHash);
    for (const note of notes) manager.record(note);
    if (rulesFile !== undefined && loadedRules !== null) {
      const { rules } = loadedRules;
      manager.setAccessRules(rules ?? NO_ACCESS_RULES, rules === null ? `${rulesFile} (no such file)` : rulesFile);
      manager.stopRulesWatch = watchAccessRulesFile(rulesFile, loadedRules.text, {
        intervalMs: rulesPollMs,
        onChange: (loaded) =>
          manager.setAccessRules(
            loaded.rules ?? NO_ACCESS_RULES,
            loaded.rules === null ? `${rulesFile} (removed)` : rulesFile,
          ),
        onError: (error) =>
          manager.record({
            kind: 'access-rules-rejected',
            detail: `${error.code}: ${error.message}; the access rules in force before the change stay`,
          }),
      });
    } else if (options.accessRules !== undefined) {
      manager.setAccessRules(options.accessRules);
    }
    // Leases dropped on restore (or a file moved aside) change what is on disk.
    if (notes.length > 0) manager.markDirty();
    return manager;
  }

  /**
   * Serves exactly `licenses` from now on. Leases of software licenses that left stay until
   * released or lapsed; those of token (dongle) licenses that left end at once (a pulled network
   * token must not keep its seats out, or it could be plugged into another manager and serve them
   * twice), each recorded as released with `endedBecause`. Returns the leases ended.
   */
  setLicenses(licenses: readonly PoolLicense[], endedBecause = 'its hardware token left the manager'): Lease[] {
    const ended = this.pool.replaceLicenses(licenses);
    this.record({ kind: 'licenses-changed', detail: `${licenses.length} license(s) served` });
    for (const lease of ended) this.recordReleased(lease, endedBecause);
    this.markDirty();
    return ended;
  }

  /**
   * Puts `rules` in force for new leases from now on (leases held stay, and renewals are not
   * checked against them). `from` names where they came from in the event recorded.
   */
  setAccessRules(rules: AccessRules, from = 'the caller'): void {
    this.tally = rules.rules.length === 0 ? null : new GroupSeatTally(rules, this.pool.leases());
    this.pool.observe(observeAll(this.tally, this.addressSeats));
    const n = rules.rules.length;
    this.record({
      kind: 'access-rules-loaded',
      detail:
        n === 0 ? `no access rules from ${from}: every client may take seats` : `${n} access rule(s) from ${from}`,
    });
  }

  /** The access rules in force. */
  accessRules(): AccessRules {
    return this.tally?.rules ?? NO_ACCESS_RULES;
  }

  /**
   * Takes a seat for the client, or gives back the lease it already holds. New leases go
   * through the access rules; `req.address` must be the socket's remote address.
   */
  acquire(req: AcquireRequest): AcquireResult {
    this.expire();
    const rules = this.tally === null ? undefined : accessGate(this.tally, req, this.pool);
    const gate =
      this.addressSeats === null
        ? rules
        : addressCapGate(this.addressSeats, this.maxSeatsPerAddress, req, this.pool, rules);
    const result = this.pool.acquire(req, gate);
    const base = { product: req.product, client: copyClient(req.client) };
    switch (result.kind) {
      case 'granted':
      case 'renewed':
        this.record({ kind: result.kind, leaseId: result.lease.id, ...base });
        this.markDirty();
        break;
      case 'exhausted':
        this.record({
          kind: 'refused',
          ...base,
          detail: result.limit?.reason ?? `seats exhausted (${result.inUse}/${result.total})`,
        });
        break;
      case 'not-licensed':
      case 'expired':
      case 'denied':
        this.record({ kind: 'refused', ...base, detail: result.reason });
        break;
    }
    return result;
  }

  /** Keeps a lease alive. */
  heartbeat(leaseId: string): HeartbeatResult {
    const result = this.pool.heartbeat(leaseId);
    if (result.kind === 'renewed') this.markDirty(this.heartbeatIntervalMs);
    if (result.kind === 'expired') {
      this.record({ kind: 'expired', leaseId, detail: 'lapsed or its license expired (seen at heartbeat)' });
      this.markDirty();
    }
    return result;
  }

  /** Gives a seat back. Returns false if the lease was not held. */
  release(leaseId: string): boolean {
    return this.releaseAs(leaseId, 'by its client');
  }

  /** Takes a seat back from its client. Returns false if the lease was not held. */
  adminRelease(leaseId: string): boolean {
    return this.releaseAs(leaseId, 'by an administrator');
  }

  /** @deprecated The same as {@link setLicenses}, which ends the leases of token licenses that left. */
  replaceLicensesEndingTokenLeases(licenses: readonly PoolLicense[], reason: string): Lease[] {
    return this.setLicenses(licenses, reason);
  }

  /** The reaper: drops lapsed leases and returns them. Runs on a timer too. */
  expire(): Lease[] {
    const reaped = this.pool.expire();
    for (const lease of reaped) {
      this.record({
        kind: 'expired',
        leaseId: lease.id,
        product: lease.product,
        client: copyClient(lease.client),
        detail: 'no heartbeat within the lease TTL',
      });
    }
    if (reaped.length > 0) this.markDirty();
    return reaped;
  }

  /** Active leases, least recently renewed first. */
  leases(): Lease[] {
    this.expire();
    return this.pool.leases();
  }

  /** Seats in use per license. */
  usage(): LicenseUsage[] {
    this.expire();
    return this.pool.usage();
  }

  /** Public status: who the manager is, its timings and the seats per product. */
  status(): ManagerStatus {
    const products = new Map<string, ProductStatus>();
    for (const u of this.usage()) {
      const p = products.get(u.product) ?? { product: u.product, inUse: 0, total: 0 };
      p.inUse += u.inUse;
      p.total += u.total;
      products.set(u.product, p);
    }
    return {
      manager: { id: this.id, version: MANAGER_VERSION },
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      leaseTtlMs: this.leaseTtlMs,
      products: [...products.values()],
    };
  }

  /** The latest `limit` events (default all kept, at most 1 000), newest first. */
  events(limit = MANAGER_EVENT_CAPACITY): ManagerEvent[] {
    const ordered = [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
    return ordered.reverse().slice(0, Math.max(0, limit));
  }

  /** Whether `token` is the admin token (constant-time comparison of its SHA-256). */
  verifyAdminToken(token: string): boolean {
    return typeof token === 'string' && constantTimeEqual(sha256(token), this.adminTokenHash);
  }

  /** A lease as clients see it. */
  leaseBody(lease: Lease): LeaseBody {
    return {
      id: lease.id,
      product: lease.product,
      feature: lease.feature,
      licenseId: lease.licenseId,
      source: lease.source,
      grantedAt: iso(lease.grantedAt),
      expiresAt: iso(lease.expiresAt),
      heartbeatIntervalMs: this.heartbeatIntervalMs,
    };
  }

  /** A lease as administrators see it. */
  adminLeaseBody(lease: Lease): AdminLeaseBody {
    return { ...this.leaseBody(lease), client: copyClient(lease.client), heartbeatAt: iso(lease.heartbeatAt) };
  }

  /** Writes the leases now if they changed since the last write. Rejects if writing fails. */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.dirty) return;
      this.dirty = false;
      this.writing = true;
      try {
        const spent = { ms: 0 };
        await writeFileAtomic(this.stateFile, snapshotFileBytes(this.pool, spent));
        this.snapshotMs = spent.ms;
        this.lastPersistError = null;
      } catch (error) {
        this.lastPersistError = error as Error;
        this.markDirty();
        throw error;
      } finally {
        this.writing = false;
        if (this.snapshotDeferred) {
          this.snapshotDeferred = false;
          this.markDirty();
        }
      }
    };
    const next = this.writes.then(run);
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Stops the timers and writes the final snapshot. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.writes;
    this.closed = true;
    clearInterval(this.reaper);
    this.stopRulesWatch?.();
    if (this.snapshotTimer !== null) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    this.dirty = true;
    await this.flush();
  }

  private releaseAs(leaseId: string, by: string): boolean {
    const lease = this.pool.get(leaseId);
    if (lease === undefined || !this.pool.release(leaseId)) return false;
    this.recordReleased(lease, by);
    this.markDirty();
    return true;
  }

  private recordReleased(lease: Lease, by: string): void {
    this.record({
      kind: 'released',
      leaseId: lease.id,
      product: lease.product,
      client: copyClient(lease.client),
      detail: by,
    });
  }

  /**
   * Schedules a snapshot within `withinMs`, or later if the last one was slow to make (see
   * `SNAPSHOT_SPACING`); an earlier one already scheduled stands.
   */
  private markDirty(withinMs = this.snapshotIntervalMs): void {
    this.dirty = true;
    if (this.closed) return;
    const delay = Math.max(withinMs, SNAPSHOT_SPACING * this.snapshotMs);
    const due = Date.now() + delay;
    if (this.snapshotTimer !== null) {
      if (this.snapshotDueAt <= due) return;
      clearTimeout(this.snapshotTimer);
    }
    this.snapshotDueAt = due;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      // A busy manager can take longer to write a large snapshot than the spacing: the next one
      // is then spaced from the end of this one instead of queueing behind it.
      if (this.writing) this.snapshotDeferred = true;
      else this.flush().catch(() => undefined); // kept in lastPersistError; retried at the next interval
    }, delay);
    this.snapshotTimer.unref();
  }

  private record(event: Omit<ManagerEvent, 'at'>): void {
    const full: ManagerEvent = { at: iso(this.now()), ...event };
    if (this.ring.length < MANAGER_EVENT_CAPACITY) {
      this.ring.push(full);
    } else {
      this.ring[this.ringStart] = full;
      this.ringStart = (this.ringStart + 1) % MANAGER_EVENT_CAPACITY;
    }
    try {
      this.onEvent?.(full);
    } catch {
      // A failing listener must not break the manager.
    }
  }
}
