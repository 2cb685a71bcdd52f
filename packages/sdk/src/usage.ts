/**
 * When each license file last served a check on this computer, for the documents' rule "of
 * several files of one serial on one computer, only the one created or used most recently is
 * used". `check()` only writes a number into memory; the record is written to the store by a
 * throttled, unref'd timer (and at close), and read back at every load.
 *
 * Several records may share one store (a process with several products, like the Lictor
 * Runtime, or several applications): each write merges what the file holds (the later time per
 * license file wins), and the writes of one process to one file run one after another.
 */
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import { type Scheduler, systemScheduler, type TimerHandle } from '@lictor/protocol';

/** The record's file in the store. */
export const USAGE_FILE_NAME = 'lictor-usage.json';

/** A use is recorded again only when the last recorded one is older than this. */
export const USAGE_RESOLUTION_MS = 60_000;

/** The writes of this process to each record file, in order (records of several products share a store). */
const writesByFile = new Map<string, Promise<void>>();

/** The last-used times of license files (ms since the epoch, by path). */
export class UsageRecord {
  readonly #file: string;
  readonly #used = new Map<string, number>();
  readonly #scheduler: Scheduler;
  #timer: TimerHandle | undefined;
  #dirty = false;

  /** `scheduler`: the timer of the throttled write (default: the system's). */
  constructor(storeDir: string, scheduler: Scheduler = systemScheduler) {
    this.#file = join(storeDir, USAGE_FILE_NAME);
    this.#scheduler = scheduler;
  }

  /** The times as last read or recorded. */
  get times(): ReadonlyMap<string, number> {
    return this.#used;
  }

  /**
   * Reads the record from the store (a missing or damaged one counts as empty); keeps newer times
   * in memory. `listed`: the names the store holds, when the caller has just listed it.
   */
  async load(listed?: readonly string[]): Promise<void> {
    if (listed !== undefined && !listed.includes(USAGE_FILE_NAME)) return;
    let parsed: unknown;
    try {
      const text = await readTextIfExists(this.#file);
      parsed = text === undefined ? {} : JSON.parse(text);
    } catch {
      parsed = {};
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    for (const [path, ms] of Object.entries(parsed)) {
      if (typeof ms === 'number' && Number.isFinite(ms) && ms > (this.#used.get(path) ?? 0)) this.#used.set(path, ms);
    }
  }

  /**
   * Records that `path` served a check at `nowMs`. No I/O: at most once per
   * {@link USAGE_RESOLUTION_MS} per file it schedules a write.
   */
  touch(path: string, nowMs: number): void {
    const last = this.#used.get(path);
    if (last !== undefined && nowMs - last < USAGE_RESOLUTION_MS) return;
    this.#used.set(path, nowMs);
    this.#dirty = true;
    if (this.#timer === undefined) {
      this.#timer = this.#scheduler.setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, USAGE_RESOLUTION_MS);
    }
  }

  /** Writes what changed since the last write (atomically); failures leave the record in memory. */
  flush(): Promise<void> {
    this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    const previous = writesByFile.get(this.#file) ?? Promise.resolve();
    const writing = previous.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      try {
        // A check never creates the store: without one, the rule uses the time each file was created.
        if (!(await stat(dirname(this.#file))).isDirectory()) return;
        // What another record wrote meanwhile (another product's, another process's) is kept.
        await this.load();
        await writeFileAtomic(this.#file, `${JSON.stringify(Object.fromEntries(this.#used))}\n`);
      } catch {
        // A read-only store: the rule falls back to the time each file was created.
        this.#dirty = true;
      }
    });
    writesByFile.set(this.#file, writing);
    void writing.then(() => {
      if (writesByFile.get(this.#file) === writing) writesByFile.delete(this.#file);
    });
    return writing;
  }
}
