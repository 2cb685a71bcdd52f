/**
 * The network License Manager: a {@link LeasePool} with an event log, persistence of its
 * leases across restarts, and a reaper. The HTTP service (`buildManagerServer`) sits on top.
 */

import { mkdir, open as openFile, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { constantTimeEqual, LictorError, sha256 } from '@lictor/protocol';
import { LeasePool } from './lease-pool.js';
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
}

/** What happened in the manager, newest kept in a ring buffer. */
export type ManagerEventKind =
  | 'granted'
  | 'renewed'
  | 'released'
  | 'expired'
  | 'refused'
  | 'licenses-changed'
  | 'restored';

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

function copyClient(c: Readonly<ClientIdentity>): ClientIdentity {
  return { host: c.host, user: c.user, process: c.process, session: c.session };
}

/**
 * Writes `text` to `file` atomically: a temporary file in the same directory, fsync'd, then
 * renamed over `file`, then the directory fsync'd (best effort) so the rename is durable.
 */
async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const handle = await openFile(temp, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
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
 * (a dirty flag and one timer), and on close. After a crash (SIGKILL, power loss) the manager
 * restores the last snapshot: `LeasePool.restore` re-checks capacity against the licenses
 * served now, so there are never more leases than seats. Leases granted (or released) in the
 * last `snapshotIntervalMs` before the crash can be missing (or back) after it. This is a
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
  private closed = false;
  private snapshotTimer: NodeJS.Timeout | null = null;
  /** When the scheduled snapshot runs (`Date.now()` time, like the timer). */
  private snapshotDueAt = 0;
  private readonly reaper: NodeJS.Timeout;
  private writes: Promise<void> = Promise.resolve();
  /** The last error writing the state file, or `null` after a successful write. */
  lastPersistError: Error | null = null;

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
    const reapEvery = options.reapIntervalMs ?? Math.min(1_000, this.leaseTtlMs);
    this.reaper = setInterval(() => this.expire(), reapEvery);
    this.reaper.unref();
  }

  /** Opens the manager and restores the leases of `stateFile` that still fit. */
  static async open(options: LicenseManagerOptions): Promise<LicenseManager> {
    const now = options.now ?? Date.now;
    const leaseTtlMs = positive('leaseTtlMs', options.leaseTtlMs ?? 60_000);
    const heartbeat = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
    positive('snapshotIntervalMs', options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS);
    if (options.reapIntervalMs !== undefined) positive('reapIntervalMs', options.reapIntervalMs);
    if (heartbeat >= leaseTtlMs) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'heartbeatIntervalMs must be below leaseTtlMs');
    }
    if (!/^[0-9a-fA-F]{64}$/.test(options.adminTokenHash)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'adminTokenHash must be a SHA-256 in hex (64 characters)');
    }
    const tokenHash = new Uint8Array(Buffer.from(options.adminTokenHash, 'hex'));
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
    // Leases dropped on restore (or a file moved aside) change what is on disk.
    if (notes.length > 0) manager.markDirty();
    return manager;
  }

  /** Serves exactly `licenses` from now on; existing leases stay until released or lapsed. */
  setLicenses(licenses: readonly PoolLicense[]): void {
    this.pool.replaceLicenses(licenses);
    this.record({ kind: 'licenses-changed', detail: `${licenses.length} license(s) served` });
    this.markDirty();
  }

  /** Takes a seat for the client, or gives back the lease it already holds. */
  acquire(req: AcquireRequest): AcquireResult {
    this.expire();
    const result = this.pool.acquire(req);
    const base = { product: req.product, client: copyClient(req.client) };
    switch (result.kind) {
      case 'granted':
      case 'renewed':
        this.record({ kind: result.kind, leaseId: result.lease.id, ...base });
        this.markDirty();
        break;
      case 'exhausted':
        this.record({ kind: 'refused', ...base, detail: `seats exhausted (${result.inUse}/${result.total})` });
        break;
      case 'not-licensed':
      case 'expired':
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
      try {
        await writeFileAtomic(this.stateFile, `${JSON.stringify(this.pool.snapshot())}\n`);
        this.lastPersistError = null;
      } catch (error) {
        this.lastPersistError = error as Error;
        this.markDirty();
        throw error;
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
    if (this.snapshotTimer !== null) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    this.dirty = true;
    await this.flush();
  }

  private releaseAs(leaseId: string, by: string): boolean {
    const lease = this.pool.leases().find((l) => l.id === leaseId);
    if (lease === undefined || !this.pool.release(leaseId)) return false;
    this.record({
      kind: 'released',
      leaseId,
      product: lease.product,
      client: copyClient(lease.client),
      detail: by,
    });
    this.markDirty();
    return true;
  }

  /** Schedules a snapshot within `withinMs`; an earlier one already scheduled stands. */
  private markDirty(withinMs = this.snapshotIntervalMs): void {
    this.dirty = true;
    if (this.closed) return;
    const due = Date.now() + withinMs;
    if (this.snapshotTimer !== null) {
      if (this.snapshotDueAt <= due) return;
      clearTimeout(this.snapshotTimer);
    }
    this.snapshotDueAt = due;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      this.flush().catch(() => undefined); // kept in lastPersistError; retried at the next interval
    }, withinMs);
    this.snapshotTimer.unref();
  }

  private record(event: Omit<ManagerEvent, 'at'>): void {
    const full: ManagerEvent = { at: iso(this.now()), ...event };
    if (this.ring.length < MANAGER_EVENT_CAPACITY) {
      this.ring.push(full);
      return;
    }
    this.ring[this.ringStart] = full;
    this.ringStart = (this.ringStart + 1) % MANAGER_EVENT_CAPACITY;
  }
}
