/**
 * The manager's event log: what happened to seats and settings, newest kept in a ring for the
 * admin API and page. Renewals are counted, not listed: a client renews its lease by asking
 * again (and every client heartbeats), so listing them would push the grants, releases, expiries
 * and refusals an administrator looks for out of the ring within minutes on a busy site.
 */

import type { ManagerEvent } from '@lictor/protocol';
import { isoTime } from './iso-time.js';

/** Events the ring keeps. */
export const MANAGER_EVENT_CAPACITY = 1_000;

export type { ManagerEvent, ManagerEventKind } from '@lictor/protocol';
// The event kinds and `ManagerEvent` are wire messages, declared once in protocol's `wire/manager.ts`.
export { MANAGER_EVENT_KINDS } from '@lictor/protocol/wire';

/** How many renewals the log counted instead of listing them. */
export interface RenewalCount {
  /** Leases given back to a client that asked for its seat again. */
  renewals: number;
  /** Heartbeats that kept a lease alive. */
  heartbeats: number;
}

/**
 * A ring of the latest {@link MANAGER_EVENT_CAPACITY} events plus renewal counters. `now` stamps
 * each event; `onEvent` hears each one recorded (a throwing listener is ignored).
 */
export class EventLog {
  readonly #ring: ManagerEvent[] = [];
  #start = 0;
  readonly #counts: RenewalCount = { renewals: 0, heartbeats: 0 };

  constructor(
    private readonly now: () => number,
    private readonly onEvent?: (event: ManagerEvent) => void,
    private readonly capacity = MANAGER_EVENT_CAPACITY,
  ) {}

  /** Records an event (the time is added here). */
  record(event: Omit<ManagerEvent, 'at'>): void {
    const full: ManagerEvent = { at: isoTime(this.now()), ...event };
    if (this.#ring.length < this.capacity) {
      this.#ring.push(full);
    } else {
      this.#ring[this.#start] = full;
      this.#start = (this.#start + 1) % this.capacity;
    }
    try {
      this.onEvent?.(full);
    } catch {
      // A failing listener must not break the manager.
    }
  }

  /** Counts a renewal (`acquire` of a held lease) or a heartbeat, without listing it. */
  countRenewal(via: 'acquire' | 'heartbeat'): void {
    if (via === 'acquire') this.#counts.renewals++;
    else this.#counts.heartbeats++;
  }

  /** Renewals counted since the manager started. */
  renewals(): RenewalCount {
    return { ...this.#counts };
  }

  /** The latest `limit` events (default all kept), newest first. */
  events(limit = this.capacity): ManagerEvent[] {
    const ordered = [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
    return ordered.reverse().slice(0, Math.max(0, limit));
  }
}
