/**
 * The loop that notices changed files: `fs.watch` on their directories for speed, plus a poll
 * because file system events are unreliable on network shares and miss a directory created
 * later. Timers and watchers never keep the process alive.
 */
import { type FSWatcher, watch } from 'node:fs';
import { type Scheduler, systemScheduler, type TimerHandle } from '@lictor/protocol';

/** Options of {@link watchLoop}. */
export interface WatchLoopOptions {
  /** Directories to watch (missing or unwatchable ones are covered by the poll). */
  dirs: readonly string[];
  /** Only events naming one of these file names start a check (an event without a name always does). */
  names?: readonly string[];
  /** Poll period in ms. */
  intervalMs: number;
  /** Delay that gathers a burst of events into one check, in ms. Default 100. */
  debounceMs?: number;
  /** The timers of the poll and the debounce (tests pass a fake one). Default: the system's. */
  scheduler?: Scheduler;
}

/**
 * Calls `check` after file system events (debounced) and every `intervalMs`, never twice at once:
 * a call that comes while one runs makes it run once more afterwards, and so does a check that
 * returns `'again'` (e.g. a file still being written). A failing check waits for the next event
 * or poll. Returns a function that stops everything.
 */
export function watchLoop(check: () => Promise<undefined | 'again'>, options: WatchLoopOptions): () => void {
  const debounceMs = options.debounceMs ?? 100;
  const names = options.names === undefined ? undefined : new Set(options.names);
  let closed = false;
  let running = false;
  let again = false;
  const scheduler = options.scheduler ?? systemScheduler;
  let debounce: TimerHandle | undefined;

  const run = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    check()
      .then((result) => {
        if (result === 'again') again = true;
      })
      .catch(() => {})
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const soon = (_event: string, name: string | Buffer | null): void => {
    if (closed) return;
    if (names !== undefined && name !== null && !names.has(String(name))) return;
    scheduler.clearTimeout(debounce);
    debounce = scheduler.setTimeout(run, debounceMs);
  };

  const watchers: FSWatcher[] = [];
  for (const dir of options.dirs) {
    try {
      const w = watch(dir, { persistent: false }, soon);
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // Missing or unwatchable directory: the poll covers it.
    }
  }
  const timer = scheduler.setInterval(run, options.intervalMs);

  return () => {
    closed = true;
    scheduler.clearInterval(timer);
    scheduler.clearTimeout(debounce);
    for (const w of watchers) w.close();
  };
}
