/**
 * The manager's state file: the leases restored at start, and snapshots written after changes.
 *
 * After a change the leases are written at most every `intervalMs` (a dirty flag and one
 * timer), and on close; with many leases, at most every nine times as long as the last snapshot
 * took to make, so that snapshots take about a tenth of the manager's time at most (100,000
 * leases are 31 MB of JSON, made in 0.3 to 0.5 s on a 2-core VM: written at most every 3 to 5 s).
 * Snapshots are made and written in pieces of 500 leases, so the event loop is never held for
 * long. Heartbeats alone are written at the heartbeat cadence (the caller passes that as
 * `withinMs`), not every `intervalMs`: with many clients, steady heartbeats would otherwise
 * rewrite every lease each second.
 */

import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@lictor/node-io';
import { LictorError, type Scheduler, type TimerHandle } from '@lictor/protocol';
import { copyClient } from './counting.js';
import type { ManagerEvent } from './event-log.js';
import { LeasePool } from './lease-pool.js';
import type { LeaseChange } from './lease-service.js';
import type { PoolLicense, PoolSnapshot } from './types.js';

/**
 * A snapshot waits at least this many times as long as the last one spent making its bytes, so
 * that writing many leases takes about a tenth of the manager's time at most.
 */
const SNAPSHOT_SPACING = 9;

/** What {@link loadSnapshot} gives back. */
export interface LoadedSnapshot {
  pool: LeasePool;
  /** Events to record: leases dropped on restore, a file moved aside. Non-empty: write a fresh snapshot. */
  notes: Omit<ManagerEvent, 'at'>[];
}

/**
 * A pool serving `licenses` with the leases of `file` that still fit (see `LeasePool.restore`).
 * No file: an empty pool. An unreadable snapshot is moved aside to `<file>.corrupt-<now>` and
 * the pool starts empty; bad `licenses` throw `LICTOR_E_INVALID_INPUT`.
 */
export async function loadSnapshot(
  file: string,
  options: { now: () => number; leaseTtlMs: number; licenses: readonly PoolLicense[] },
): Promise<LoadedSnapshot> {
  const { now, leaseTtlMs, licenses } = options;
  await mkdir(dirname(file), { recursive: true });
  const notes: Omit<ManagerEvent, 'at'>[] = [];
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read the state file ${file}`, {
        cause: (error as Error).message,
      });
    }
  }
  if (text !== null) {
    try {
      const snapshot = JSON.parse(text) as PoolSnapshot;
      if (snapshot === null || typeof snapshot !== 'object' || !Array.isArray(snapshot.leases)) {
        throw new LictorError('LICTOR_E_FILE_FORMAT', 'not a lease pool snapshot');
      }
      const restored = LeasePool.restore(snapshot, { now, leaseTtlMs, licenses });
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
        detail: `${restored.pool.size} lease(s) restored, ${restored.dropped.length} dropped`,
      });
      return { pool: restored.pool, notes };
    } catch (error) {
      if (error instanceof LictorError && error.code === 'LICTOR_E_INVALID_INPUT') throw error; // bad licenses
      const aside = `${file}.corrupt-${now()}`;
      await rename(file, aside);
      notes.push({
        kind: 'restored',
        detail: `state file unreadable (${(error as Error).message}); moved aside to ${aside}; starting empty`,
      });
    }
  }
  const pool = new LeasePool({ now, leaseTtlMs });
  pool.replaceLicenses(licenses);
  return { pool, notes };
}

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

/** Options of a {@link SnapshotStore}. */
export interface SnapshotStoreOptions {
  /** The JSON `PoolSnapshot` file. */
  file: string;
  /** The timers (and clock) of the snapshot schedule. */
  scheduler: Scheduler;
  /** Minimum time between two snapshots written after changes. */
  intervalMs: number;
  /** How soon a change made only by heartbeats is written. */
  heartbeatIntervalMs: number;
}

/** Writes snapshots of a pool's leases on a schedule; {@link close} writes the last one. */
export class SnapshotStore {
  readonly file: string;
  readonly #pool: LeasePool;
  readonly #scheduler: Scheduler;
  readonly #intervalMs: number;
  readonly #heartbeatIntervalMs: number;
  #dirty = false;
  /** Event-loop time the last snapshot spent making its bytes, in ms. */
  #snapshotMs = 0;
  /** A snapshot is being written. */
  #writing = false;
  /** The snapshot timer fired during a write: the next snapshot is scheduled when it ends. */
  #deferred = false;
  #closed = false;
  #timer: TimerHandle | undefined;
  /** When the scheduled snapshot runs (scheduler time). */
  #dueAt = 0;
  #writes: Promise<void> = Promise.resolve();
  /** The last error writing the file, or `null` after a successful write. */
  lastError: Error | null = null;

  constructor(pool: LeasePool, options: SnapshotStoreOptions) {
    this.#pool = pool;
    this.file = options.file;
    this.#scheduler = options.scheduler;
    this.#intervalMs = options.intervalMs;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs;
  }

  /** The lease service observer: schedules a snapshot after each change that alters the file. */
  readonly observer = (change: LeaseChange): void => {
    if (change.kind === 'refused') return;
    if (change.kind === 'renewed' && change.via === 'heartbeat') this.markDirty(this.#heartbeatIntervalMs);
    else this.markDirty();
  };

  /**
   * Schedules a snapshot within `withinMs`, or later if the last one was slow to make (see
   * `SNAPSHOT_SPACING`); an earlier one already scheduled stands.
   */
  markDirty(withinMs = this.#intervalMs): void {
    this.#dirty = true;
    if (this.#closed) return;
    const delayMs = Math.max(withinMs, SNAPSHOT_SPACING * this.#snapshotMs);
    const due = this.#scheduler.now() + delayMs;
    if (this.#timer !== undefined) {
      if (this.#dueAt <= due) return;
      this.#scheduler.clearTimeout(this.#timer);
    }
    this.#dueAt = due;
    this.#timer = this.#scheduler.setTimeout(() => {
      this.#timer = undefined;
      // A busy manager can take longer to write a large snapshot than the spacing: the next one
      // is then spaced from the end of this one instead of queueing behind it.
      if (this.#writing) this.#deferred = true;
      else this.flush().catch(() => undefined); // kept in lastError; retried at the next interval
    }, delayMs);
  }

  /** Writes the leases now if they changed since the last write. Rejects if writing fails. */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.#dirty) return;
      this.#dirty = false;
      this.#writing = true;
      try {
        const spent = { ms: 0 };
        await writeFileAtomic(this.file, snapshotFileBytes(this.#pool, spent), 0o600);
        this.#snapshotMs = spent.ms;
        this.lastError = null;
      } catch (error) {
        this.lastError = error as Error;
        this.markDirty();
        throw error;
      } finally {
        this.#writing = false;
        if (this.#deferred) {
          this.#deferred = false;
          this.markDirty();
        }
      }
    };
    const next = this.#writes.then(run);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  /** Resolves when the writes started so far have ended (successful or not); writes nothing itself. */
  idle(): Promise<void> {
    return this.#writes;
  }

  /** Stops the schedule and writes the final snapshot. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return this.#writes;
    this.#closed = true;
    this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = true;
    await this.flush();
  }
}
