/**
 * Time as a service: the clock and the timers a long-running part of Lictor uses (the License
 * Manager's reaper and snapshots, the SDK's heartbeats, token presence checks), passed in so
 * that tests drive time with a fake scheduler instead of waiting for it. Only
 * {@link systemScheduler} touches the real clock and timers.
 */

declare const timerHandle: unique symbol;

/** A timer started by a {@link Scheduler}; give it back to the same scheduler to stop it. */
export type TimerHandle = { readonly [timerHandle]: true };

/**
 * The clock and timers. Timers never keep the process alive (Node's `unref`), so a forgotten
 * timer cannot hold up an application's exit.
 */
export interface Scheduler {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `callback` once, `ms` from now. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Runs `callback` every `ms` until cleared. */
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Stops a timer of {@link setTimeout}; `undefined` or a timer that already ran is ignored. */
  clearTimeout(timer: TimerHandle | undefined): void;
  /** Stops a timer of {@link setInterval}; `undefined` is ignored. */
  clearInterval(timer: TimerHandle | undefined): void;
}

/** The real clock (`Date.now`) and Node's timers, unref'd. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    return setTimeout(callback, ms).unref() as unknown as TimerHandle;
  },
  setInterval(callback, ms) {
    return setInterval(callback, ms).unref() as unknown as TimerHandle;
  },
  clearTimeout(timer) {
    if (timer !== undefined) clearTimeout(timer as unknown as NodeJS.Timeout);
  },
  clearInterval(timer) {
    if (timer !== undefined) clearInterval(timer as unknown as NodeJS.Timeout);
  },
};

/** Resolves `ms` from now on `scheduler`'s time (never keeps the process alive). */
export function delay(scheduler: Scheduler, ms: number): Promise<void> {
  return new Promise((resolve) => {
    scheduler.setTimeout(resolve, ms);
  });
}
