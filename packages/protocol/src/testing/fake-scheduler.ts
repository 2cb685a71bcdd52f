/**
 * A {@link Scheduler} whose time moves only when a test says so. Not part of the runtime API:
 * import it from `@lictor/protocol/testing`.
 */
import type { Scheduler, TimerHandle } from '../scheduler.js';

interface FakeTimer {
  readonly id: number;
  due: number;
  readonly every: number | null;
  readonly callback: () => void;
}

/** Epoch milliseconds a {@link FakeScheduler} starts at unless told otherwise: 2026-01-01T00:00:00Z. */
export const FAKE_SCHEDULER_START = Date.UTC(2026, 0, 1);

/**
 * A fake clock with fake timers. {@link advance} moves time forward and runs each timer that
 * falls due, in due order, with the clock set to its due time; callbacks run synchronously,
 * so work they start (a request, a file write) goes on in real time afterwards: wait for its
 * outcome (an event, a file) or for the next timer it sets ({@link whenPending}).
 */
export class FakeScheduler implements Scheduler {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  constructor(start = FAKE_SCHEDULER_START) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, null);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer !== undefined) this.#timers.delete((timer as unknown as { id: number }).id);
  }

  clearInterval(timer: TimerHandle | undefined): void {
    this.clearTimeout(timer);
  }

  /** Timers set and not yet run (or cleared). */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the next timer falls due, or `undefined` without timers. */
  nextDueAt(): number | undefined {
    return this.#next()?.due;
  }

  /**
   * Moves the clock `ms` forward, running the timers that fall due on the way (those set by a
   * callback too, when they fall due within `ms`). Returns how many callbacks ran.
   */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError('a fake scheduler only moves forward');
    const end = this.#now + ms;
    let ran = 0;
    for (;;) {
      const timer = this.#next();
      if (timer === undefined || timer.due > end) break;
      this.#now = Math.max(this.#now, timer.due);
      if (timer.every === null) this.#timers.delete(timer.id);
      else timer.due += timer.every;
      ran++;
      timer.callback();
    }
    this.#now = end;
    return ran;
  }

  /** Moves the clock to the next timer's due time and runs it (and any due at the same time). */
  runNext(): number {
    const due = this.nextDueAt();
    return due === undefined ? 0 : this.advance(due - this.#now);
  }

  /**
   * Sets the clock without running timers: a wall-clock step (forward or back), as NTP or a user
   * may make. Timers stay due at the times they were set for.
   */
  setClock(epochMs: number): void {
    this.#now = epochMs;
  }

  /** Resolves once at least `count` timers are pending (at once if they are). */
  whenPending(count = 1): Promise<void> {
    if (this.#timers.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  #add(callback: () => void, ms: number, every: number | null): TimerHandle {
    const id = this.#nextId++;
    const delayMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { id, due: this.#now + delayMs, every, callback });
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i];
      if (waiter !== undefined && this.#timers.size >= waiter.count) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    return { id } as unknown as TimerHandle;
  }

  /** The earliest timer (ties: the one set first). */
  #next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) best = timer;
    }
    return best;
  }
}
