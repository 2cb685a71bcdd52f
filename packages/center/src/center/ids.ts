/** Identifiers: random ones for what leaves the center, time-ordered ones for logs. */
import { randomUUID } from 'node:crypto';

/** A random identifier (UUID v4) for activations and containers. */
export function randomId(): string {
  return randomUUID();
}

const RANDOM_START = 2 ** 40;

/**
 * Returns a generator of ids that sort in the order they were made: 12 hex digits of the clock
 * in milliseconds, then a counter that starts at a random value each millisecond. A clock that
 * stands still or goes back never breaks the order; the random start keeps two processes from
 * colliding within one millisecond.
 */
export function createSortableIds(now: () => Date): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    const ms = now().getTime();
    if (ms > lastMs) {
      lastMs = ms;
      counter = Math.floor(Math.random() * RANDOM_START);
    } else {
      counter += 1;
    }
    return lastMs.toString(16).padStart(12, '0') + counter.toString(16).padStart(12, '0');
  };
}

const SHORT_RANDOM_START = 2 ** 15;

/**
 * Like {@link createSortableIds} but 16 hex digits (8 bytes), the size an answer code carries:
 * 12 digits of the clock in milliseconds and a 4-digit counter starting at a random value below
 * 0x8000 each millisecond. Sorted with the long ids, they keep the order of creation (both begin
 * with the same clock digits), so activation listings stay newest first.
 */
export function createShortSortableIds(now: () => Date): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    const ms = now().getTime();
    if (ms > lastMs || counter >= 0xffff) {
      // A full counter borrows the next millisecond: ids never repeat within a process.
      lastMs = ms > lastMs ? ms : lastMs + 1;
      counter = Math.floor(Math.random() * SHORT_RANDOM_START);
    } else {
      counter += 1;
    }
    return lastMs.toString(16).padStart(12, '0') + counter.toString(16).padStart(4, '0');
  };
}
