/**
 * Fetches the center's blacklist on a schedule: download, verify (vendor signature, and a
 * sequence not older than the newest one held), then hand it to `store`. Used by `openLicensing`'s
 * `blacklistRefresh` option and by the License Manager. Time and timers come from an injected
 * `Scheduler` (tests drive it with `FakeScheduler`); its timers never keep the process alive.
 */
import { LictorError, type Scheduler, systemScheduler, type TimerHandle, type VendorPublicKey } from '@lictor/protocol';
import { type FetchedBlacklist, fetchBlacklist } from './blacklist-client.js';

/** Options of {@link BlacklistRefresher}. */
export interface BlacklistRefresherOptions {
  /** Base URL of the License Center. */
  center: string;
  publicKey: VendorPublicKey;
  /** Keeps a verified list that is not older than {@link known}'s; the refresher waits for it. */
  store: (fetched: FetchedBlacklist) => Promise<void>;
  /** The highest sequence held already (a list below it is refused with `LICTOR_E_BLACKLIST_STALE`). */
  known: () => number;
  /** Time between two downloads, in ms (default 6 h). */
  intervalMs?: number;
  /** Time before trying again after a failure, in ms (default 5 min, at most `intervalMs`). */
  retryMs?: number;
  /** Timeout of one download, in ms (default 30 s; on real time). */
  timeoutMs?: number;
  /** The clock and timers of the schedule (default `systemScheduler`). */
  scheduler?: Scheduler;
  /** Told about each failed attempt (center unreachable, list refused); the schedule goes on. */
  onError?: (error: LictorError) => void;
}

/** What the last attempts gave (`Licensing.blacklistRefresh()`, the manager's log). */
export interface BlacklistRefreshStatus {
  center: string;
  /** When the last list was stored (ISO). */
  lastSuccessAt?: string;
  /** The sequence of the last list stored. */
  sequence?: number;
  /** Why the last attempt failed, when it did. */
  lastError?: { code: string; message: string };
}

/** Default time between two downloads: 6 h. */
export const DEFAULT_BLACKLIST_REFRESH_MS = 6 * 60 * 60 * 1000;
const DEFAULT_RETRY_MS = 5 * 60 * 1000;

/** Refuses a list older than the newest one held; a forged or foreign list was refused by `fetchBlacklist`. */
export function checkNotOlder(fetched: FetchedBlacklist, known: number, center: string): void {
  if (fetched.sequence < known) {
    throw new LictorError(
      'LICTOR_E_BLACKLIST_STALE',
      `the License Center at ${new URL(center).origin} sent blacklist sequence ${fetched.sequence}, older than sequence ${known} already in force here; it was not installed: check that this is the vendor's current License Center`,
      { sequence: fetched.sequence, known },
    );
  }
}

/** Downloads the blacklist now and then; see the module comment. */
export class BlacklistRefresher {
  private readonly scheduler: Scheduler;
  private readonly intervalMs: number;
  private readonly retryMs: number;
  private handle: TimerHandle | undefined;
  private stopped = true;
  private running: Promise<FetchedBlacklist> | undefined;
  private readonly state: BlacklistRefreshStatus;

  constructor(private readonly options: BlacklistRefresherOptions) {
    this.scheduler = options.scheduler ?? systemScheduler;
    this.intervalMs = options.intervalMs ?? DEFAULT_BLACKLIST_REFRESH_MS;
    this.retryMs = Math.min(options.retryMs ?? DEFAULT_RETRY_MS, this.intervalMs);
    this.state = { center: options.center };
  }

  /** Downloads at once, then every `intervalMs` (after a failure, every `retryMs` until one succeeds). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the schedule (a download under way still finishes). */
  stop(): void {
    this.stopped = true;
    this.scheduler.clearTimeout(this.handle);
    this.handle = undefined;
  }

  /** Downloads, verifies and stores now; throws what went wrong. Concurrent calls share one download. */
  refreshNow(): Promise<FetchedBlacklist> {
    this.running ??= this.attempt().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The outcome of the last attempts. */
  status(): BlacklistRefreshStatus {
    return { ...this.state };
  }

  private async attempt(): Promise<FetchedBlacklist> {
    const { center, publicKey, timeoutMs } = this.options;
    try {
      const fetched = await fetchBlacklist(center, publicKey, timeoutMs);
      checkNotOlder(fetched, this.options.known(), center);
      await this.options.store(fetched);
      this.state.lastSuccessAt = new Date(this.scheduler.now()).toISOString();
      this.state.sequence = fetched.sequence;
      delete this.state.lastError;
      return fetched;
    } catch (err) {
      const error =
        err instanceof LictorError
          ? err
          : new LictorError('LICTOR_E_FILE_UNREADABLE', `the blacklist could not be stored: ${(err as Error).message}`);
      this.state.lastError = { code: error.code, message: error.message };
      throw error;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.handle = this.scheduler.setTimeout(() => {
      this.handle = undefined;
      this.refreshNow().then(
        () => this.schedule(this.intervalMs),
        (err: LictorError) => {
          this.options.onError?.(err);
          this.schedule(this.retryMs);
        },
      );
    }, ms);
  }
}
