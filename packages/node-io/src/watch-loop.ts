/**
 * The loop that notices changed files: `fs.watch` on their directories for speed, plus a poll
 * because file system events are unreliable on network shares and miss a directory created
 * later. Timers and watchers never keep the process alive.
 */
import { type FSWatcher, watch } from 'node:fs';

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
  let debounce: NodeJS.Timeout | undefined;

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
    clearTimeout(debounce);
    debounce = setTimeout(run, debounceMs);
    debounce.unref();
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
  const timer = setInterval(run, options.intervalMs);
  timer.unref();

  return () => {
    closed = true;
    clearInterval(timer);
    clearTimeout(debounce);
    for (const w of watchers) w.close();
  };
}
