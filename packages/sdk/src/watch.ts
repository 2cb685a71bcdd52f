/**
 * Noticing changes of license, blacklist and key files in the search directories: `fs.watch`
 * for speed plus a periodic `stat` poll, because file system events are unreliable on network
 * shares and do not cover directories created later. Timers and watchers never keep the
 * process alive.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { watchLoop } from '@lictor/node-io';
import type { ErrorCode, Scheduler } from '@lictor/protocol';
import { KEY_FILE_SUFFIX } from './container-keys.js';
import { DUPLICATE_FILE_SUFFIX } from './duplicates/marks.js';
import { BLACKLIST_FILE_NAME, BORROWED_SEAT_FILE_SUFFIX, fileVersion, LICENSE_FILE_SUFFIX } from './files.js';

/** What changed in the license directories. */
export interface ChangeEvent {
  /** Files that appeared. */
  added: string[];
  /** Files that disappeared. */
  removed: string[];
  /**
   * Files whose contents changed (new mtime, size or inode), licenses whose hardware token came or
   * went, and licenses rewritten in a token's memory (a remote upgrade).
   */
  changed: string[];
  /** Hardware tokens that were plugged in or pulled out (absent when only files or a token's memory changed). */
  tokens?: TokenChange[];
}

/** A hardware token in use that was plugged in or pulled out (see `openLicensing`'s `tokens` option). */
export interface TokenChange {
  manufacturer: string;
  model: string;
  serial: string;
  /** Present and proven by its key now. */
  present: boolean;
  /** Why it is not usable, when it is not. */
  code?: ErrorCode;
  reason?: string;
}

/** A file → version ({@link fileVersion}) map of the watched files. */
export type Fingerprint = ReadonlyMap<string, string>;

/** Whether a change of the file `name` can change what a load finds (license, blacklist, key, duplicate mark). */
export function watchedFile(name: string): boolean {
  return (
    name.endsWith(LICENSE_FILE_SUFFIX) ||
    name.endsWith(BORROWED_SEAT_FILE_SUFFIX) ||
    name.endsWith(KEY_FILE_SUFFIX) ||
    name.endsWith(DUPLICATE_FILE_SUFFIX) ||
    name === BLACKLIST_FILE_NAME
  );
}

/** Fingerprints the license, blacklist and key files of `dirs`. */
async function fingerprint(dirs: readonly string[]): Promise<Fingerprint> {
  const out = new Map<string, string>();
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(
      names.filter(watchedFile).map(async (name) => {
        const path = join(dir, name);
        const info = await stat(path).catch(() => null);
        if (info?.isFile()) out.set(path, fileVersion(info));
      }),
    );
  }
  return out;
}

/** The difference of two fingerprints; `null` when nothing changed. */
function diffFingerprints(before: Fingerprint, after: Fingerprint): ChangeEvent | null {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [path, version] of after) {
    const old = before.get(path);
    if (old === undefined) added.push(path);
    else if (old !== version) changed.push(path);
  }
  for (const path of before.keys()) if (!after.has(path)) removed.push(path);
  if (added.length + removed.length + changed.length === 0) return null;
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}

/** Change notifications of a {@link Licensing}-like owner. */
export interface ChangeFeed {
  /** Adds a listener; returns a function that removes it. */
  on(listener: (event: ChangeEvent) => void): () => void;
  off(listener: (event: ChangeEvent) => void): void;
  /** Calls the listeners with a change noticed elsewhere (a hardware token plugged in or pulled out). */
  emit(event: ChangeEvent): void;
  /** Stops watching and forgets the listeners. */
  close(): void;
}

/**
 * Watches `dirs` and calls `reload` when their license, blacklist or key files change, then the
 * listeners with what changed. `intervalMs: null` disables watching (only {@link ChangeFeed.emit} calls them).
 * Changes are told against `baseline`, the versions the first load saw (its scan records them,
 * so that opening does not list and stat the directories twice); the watching starts at once, so
 * call this before the first load to miss nothing. `scheduler` runs the poll and the debounce of
 * file system events (default: the system's timers).
 */
export function autoReload(
  dirs: readonly string[],
  reload: () => Promise<void>,
  intervalMs: number | null,
  baseline: Promise<Fingerprint>,
  scheduler?: Scheduler,
): ChangeFeed {
  const listeners = new Set<(event: ChangeEvent) => void>();
  const emit = (event: ChangeEvent) => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A failing listener must not stop the others or the watcher.
      }
    }
  };
  let stop = () => {};
  if (intervalMs !== null) {
    let seen: Promise<Fingerprint> | Fingerprint = baseline;
    const check = async () => {
      const before = await seen;
      const current = await fingerprint(dirs);
      const change = diffFingerprints(before, current);
      if (change === null) return undefined;
      await reload();
      seen = current;
      emit(change);
      return undefined;
    };
    stop = watchLoop(check, { dirs, intervalMs, ...(scheduler ? { scheduler } : {}) });
  }
  return {
    emit,
    on(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    off(listener) {
      listeners.delete(listener);
    },
    close() {
      stop();
      listeners.clear();
    },
  };
}
