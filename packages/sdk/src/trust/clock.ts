/**
 * The clock mark: a high-water mark of the time seen on this computer, so that setting the clock
 * back does not make an expired time-limited license available again (docs/clock.md).
 *
 * `check()` moves the in-memory mark forward with its own clock reading (one comparison, no
 * allocation) and refuses time-limited licenses while the clock is more than the tolerance behind
 * it. Loads, a throttled background timer and `close()` keep it in the store, sealed with the
 * machine secret; signed times raise it (the issue times of the licenses and blacklists found, the
 * center's time), and a fresh signed center time also lowers it, which undoes a clock that was set
 * ahead by mistake.
 */
import { join } from 'node:path';
import {
  type ErrorCode,
  LictorError,
  type Scheduler,
  type SignedTime,
  systemScheduler,
  type TimerHandle,
  type VendorPublicKey,
} from '@lictor/protocol';
import type { MachineSecretSource } from '../machine-secret.js';
import type { NotLicensed } from '../snapshot.js';
import { CLOCK_FILE_NAME, readMark, type ServerTime, type StoredMark, writeMark } from './clock-file.js';

export { CLOCK_FILE_NAME } from './clock-file.js';

/** Default tolerance: how far the clock may be behind the latest time seen (24 h, like FlexNet). */
export const DEFAULT_CLOCK_TOLERANCE_MS = 24 * 60 * 60 * 1000;
/** Default period of the background write of the mark. */
export const DEFAULT_CLOCK_SAVE_INTERVAL_MS = 5 * 60 * 1000;

/** The `clock` option of `openLicensing`. */
export interface ClockOptions {
  /**
   * How far the clock may be behind the latest time seen before time-limited licenses are
   * refused (`LICTOR_E_CLOCK_ROLLBACK`), in ms; default 24 h. Smaller catches smaller rollbacks;
   * larger forgives more of a clock that was set ahead by mistake and then corrected.
   */
  toleranceMs?: number;
  /** How often a running application writes the mark to the store, in ms (default 5 min). */
  saveIntervalMs?: number;
  /** A clock that the wall clock's setting does not move, in ms (default `performance.now`). */
  monotonic?: () => number;
}

/** What `Licensing.clock()` tells. */
export interface ClockStatus {
  /** The latest time seen on this computer (ISO), `null` before any. */
  mark: string | null;
  toleranceMs: number;
  /** The clock now is more than the tolerance behind the mark: time-limited licenses are refused. */
  rolledBack: boolean;
  /** The file the mark is kept in. */
  file: string;
  /** The center's signed time received last (ISO). */
  serverTime?: string;
  /** What was wrong with the mark's file at the last load (altered, unreadable, no machine secret). */
  problem?: { code: ErrorCode; reason: string };
}

type Problem = { code: ErrorCode; reason: string };

/** A duration as messages show it: `24 h`, `30 min`. */
export function shownDuration(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 60_000)} min`;
}

/** Day and time in UTC, as messages show it. */
function shown(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The clock mark of one `openLicensing`. `mark` and `behind` are read by `check()`. */
export class ClockGuard {
  /** The high-water mark in ms; `-Infinity` before any reading. */
  mark = Number.NEGATIVE_INFINITY;
  readonly toleranceMs: number;
  /**
   * How far before a license's issue time (the center's clock) the clock may be: the tolerance
   * too. A computer whose clock is hours off the center's (a real-time clock kept in local time,
   * a wrong time zone) must not find the license it just activated refused; a clock that far back
   * gains nothing, since the license is valid then anyway.
   */
  readonly issueSkewMs: number;
  readonly file: string;
  private readonly saveIntervalMs: number;
  private readonly monotonic: () => number;
  private server: ServerTime | undefined;
  /** The highest signed time of the store's files at the last load. */
  private floor = Number.NEGATIVE_INFINITY;
  private tickMark = Number.NEGATIVE_INFINITY;
  private tickMono = Number.NaN;
  private problem: Problem | undefined;
  private refusalMark = Number.NaN;
  private cached: NotLicensed | undefined;
  private timer: TimerHandle | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Whether the store has licenses (or a mark already): only then is a mark file created. */
  private keep = false;
  /** The marks of the other search paths: a new store next to an old one does not start from nothing. */
  private readonly otherFiles: string[];
  private loaded = false;

  constructor(
    storeDir: string,
    private readonly secret: MachineSecretSource,
    private readonly publicKey: VendorPublicKey,
    private readonly now: () => number,
    private readonly product: string,
    options: ClockOptions = {},
    /** Other directories whose marks raise this one (the search paths). */
    searchDirs: readonly string[] = [],
    /** The timer of the background write (default: the system's). */
    private readonly scheduler: Scheduler = systemScheduler,
  ) {
    this.toleranceMs = options.toleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;
    if (!(this.toleranceMs >= 0 && Number.isFinite(this.toleranceMs))) {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        `clock.toleranceMs must be a number of ms, 0 or more (not ${this.toleranceMs})`,
      );
    }
    this.issueSkewMs = this.toleranceMs;
    this.saveIntervalMs = options.saveIntervalMs ?? DEFAULT_CLOCK_SAVE_INTERVAL_MS;
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.file = join(storeDir, CLOCK_FILE_NAME);
    this.otherFiles = [...new Set(searchDirs.map((d) => join(d, CLOCK_FILE_NAME)))].filter((f) => f !== this.file);
  }

  /** A clock reading: the mark moves forward to it. Hot path: no allocation. */
  observe(t: number): void {
    if (t > this.mark) this.mark = t;
  }

  /** Whether reading `t` is more than the tolerance behind the mark. */
  behind(t: number): boolean {
    return t < this.mark - this.toleranceMs;
  }

  /** The refusal for a clock behind the mark (built once per mark value: on the refusing path only). */
  refusal(): NotLicensed {
    if (this.cached === undefined || this.refusalMark !== this.mark) {
      this.refusalMark = this.mark;
      this.cached = Object.freeze({
        ok: false,
        code: 'LICTOR_E_CLOCK_ROLLBACK',
        reason:
          `this computer's clock is set back: it is more than ${shownDuration(this.toleranceMs)} behind ${shown(this.mark)}, a time already ` +
          `seen here, so time-limited licenses of ${this.product} are not available. Set the date, time and time zone ` +
          'right and they work again at once. If that time was wrong (the clock had been set ahead by mistake), ' +
          'connect to the License Center once (lictor blacklist --center URL): its signed time resets the mark',
      });
    }
    return this.cached;
  }

  /** The refusal for a clock before a license's issue time (built at load, once per license). */
  beforeIssue(issuedAt: string): NotLicensed {
    return Object.freeze({
      ok: false,
      code: 'LICTOR_E_CLOCK_ROLLBACK',
      reason:
        `this computer's clock is earlier than ${shown(Date.parse(issuedAt))}, when this license of ${this.product} ` +
        'was issued: set the date, time and time zone right, and it works again at once',
    });
  }

  /**
   * At every load: the signed times of the files found (`floorMs`), the current reading and the
   * stored mark raise the mark; then it is stored (created only once the store has licenses).
   * Only the first load waits for the file (its mark must count from the first check); later
   * reloads do not wait for the disk.
   */
  async load(floorMs: number, hasLicenses: boolean): Promise<void> {
    this.keep = hasLicenses;
    this.floor = Math.max(this.floor, floorMs);
    this.observe(this.now());
    this.observe(this.floor);
    this.advance();
    const saved = this.save(false, true);
    if (!this.loaded) await saved;
    this.loaded = true;
  }

  /**
   * A fresh signed time of the center (verified by the caller for a nonce it chose): the mark
   * becomes it, lower or higher, but never below the signed times of the files.
   */
  async serverTime(signed: SignedTime, ms: number): Promise<void> {
    if (this.server !== undefined && ms < this.server.ms) return;
    this.server = { ms, signed };
    this.mark = Math.max(ms, this.floor);
    this.tickMono = Number.NaN;
    this.advance();
    await this.save(true);
  }

  /** Starts the background write (the timer never keeps the process alive). */
  start(): void {
    if (this.timer !== undefined || this.saveIntervalMs <= 0) return;
    this.timer = this.scheduler.setInterval(() => {
      this.advance();
      void this.save();
    }, this.saveIntervalMs);
  }

  /** Stops the background write and stores the mark a last time. */
  async close(): Promise<void> {
    this.scheduler.clearInterval(this.timer);
    this.timer = undefined;
    this.advance();
    await this.save();
  }

  /** What `Licensing.clock()` returns. */
  status(): ClockStatus {
    const t = this.now();
    this.observe(t);
    return {
      mark: Number.isFinite(this.mark) ? new Date(this.mark).toISOString() : null,
      toleranceMs: this.toleranceMs,
      rolledBack: this.behind(t),
      file: this.file,
      ...(this.server ? { serverTime: this.server.signed.time } : {}),
      ...(this.problem ? { problem: this.problem } : {}),
    };
  }

  /**
   * While the process runs, the mark also moves with a clock that setting the date does not move:
   * setting the clock back a little again and again cannot hold it still.
   */
  private advance(): void {
    const mono = this.monotonic();
    if (!Number.isNaN(this.tickMono) && mono > this.tickMono) this.observe(this.tickMark + (mono - this.tickMono));
    this.tickMono = mono;
    this.tickMark = this.mark;
  }

  /**
   * Writes the mark, merged with what another process may have stored meanwhile; never throws.
   * Throttled: unless `force`d (a center time), the file is rewritten only when the mark moved by a
   * save interval or more (a mark a few minutes old costs nothing against a 24 h tolerance).
   */
  private save(force = false, others = false): Promise<void> {
    this.saving = this.saving.then(() => this.saveNow(force, others).catch(() => undefined));
    return this.saving;
  }

  /** Raises the mark to the (sealed, valid) marks found in the other search paths. */
  private async readOthers(secret: Uint8Array): Promise<void> {
    const reads = await Promise.all(this.otherFiles.map((f) => readMark(f, secret, this.publicKey)));
    for (const read of reads) {
      if (read.state !== 'valid') continue;
      if (read.server !== undefined) this.observe(read.server.ms);
      if (read.markMs !== undefined && !this.supersedes(read.server)) this.observe(read.markMs);
    }
  }

  /** A newer center time here resets what a mark with an older one (or none) says: a clock that was ahead. */
  private supersedes(server: ServerTime | undefined): boolean {
    return this.server !== undefined && this.server.ms > (server?.ms ?? Number.NEGATIVE_INFINITY);
  }

  private async saveNow(force: boolean, others: boolean): Promise<void> {
    let secret: Uint8Array;
    try {
      secret = await this.secret();
    } catch (err) {
      this.problem = {
        code: 'LICTOR_E_FILE_UNREADABLE',
        reason: `the clock mark is kept in memory only: ${(err as Error).message}`,
      };
      return;
    }
    const read = await readMark(this.file, secret, this.publicKey);
    if (read.state === 'missing' && !this.keep && this.server === undefined) return;
    let stored: number | undefined;
    if (read.state === 'valid') {
      this.problem = undefined;
      stored = this.merge(read);
    } else if (read.state === 'tampered' || read.state === 'unreadable') {
      // What an altered file says is not believed, except a center time whose vendor signature verifies.
      if (read.state === 'tampered' && read.server !== undefined) this.observe(read.server.ms);
      this.problem = {
        code: read.state === 'tampered' ? 'LICTOR_E_FILE_TAMPERED' : 'LICTOR_E_FILE_UNREADABLE',
        reason: `${read.reason}; the clock mark starts again from the signed times of the license files`,
      };
    }
    if (others) await this.readOthers(secret);
    if (read.state === 'unreadable' || !Number.isFinite(this.mark)) return;
    const markMs = Math.floor(this.mark);
    if (!force && stored !== undefined && markMs - stored < Math.max(this.saveIntervalMs, 1000)) return;
    await writeMark(this.file, secret, markMs, this.server);
  }

  /** Takes in the store's mark (sealed, so written by Lictor on this computer); returns its mark. */
  private merge({ markMs, server }: Extract<StoredMark, { state: 'valid' }>): number | undefined {
    if (server !== undefined && (this.server === undefined || server.ms > this.server.ms)) {
      // Another application received a newer center time and reset the mark: take its mark over.
      this.server = server;
      this.mark = Math.max(markMs ?? server.ms, this.floor);
      this.tickMono = Number.NaN;
      this.advance();
      return markMs;
    }
    if (markMs !== undefined && !this.supersedes(server)) this.observe(markMs);
    return markMs;
  }
}
