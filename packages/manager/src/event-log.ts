/**
 * The manager's event log: what happened to seats and settings, newest kept in a ring for the
 * admin API and page. Renewals are counted, not listed: a client renews its lease by asking
 * again (and every client heartbeats), so listing them would push the grants, releases, expiries
 * and refusals an administrator looks for out of the ring within minutes on a busy site.
 */

import type { ManagerEvent, ManagerEventKind } from '@lictor/protocol';
import { copyClient } from './counting.js';
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

/** An event as the ring keeps it: its time as a number, the ISO text written only when read. */
type Kept = Omit<ManagerEvent, 'at'>;

/**
 * A ring of the latest {@link MANAGER_EVENT_CAPACITY} events plus renewal counters. `now` stamps
 * each event; `onEvent` hears each one recorded of the `heard` kinds (a throwing listener is ignored). The ring keeps
 * the object given to {@link record} as it is (its callers build a fresh one per event) and its
 * time as a number: an event is copied, and its time written as ISO text, when it is read.
 */
export class EventLog {
  readonly #ring: Kept[] = [];
  readonly #times: number[] = [];
  #start = 0;
  readonly #counts: RenewalCount = { renewals: 0, heartbeats: 0 };

  readonly #heard: ReadonlySet<string> | undefined;

  /** `heard`: the kinds `onEvent` hears (default all). */
  constructor(
    private readonly now: () => number,
    private readonly onEvent?: (event: ManagerEvent) => void,
    heard?: readonly ManagerEventKind[],
    private readonly capacity = MANAGER_EVENT_CAPACITY,
  ) {
    this.#heard = heard === undefined ? undefined : new Set(heard);
  }

  /** Records an event (the time is added here); the log keeps `event` itself, which must not change after. */
  record(event: Kept): void {
    const at = this.now();
    if (this.#ring.length < this.capacity) {
      this.#ring.push(event);
      this.#times.push(at);
    } else {
      this.#ring[this.#start] = event;
      this.#times[this.#start] = at;
      this.#start = (this.#start + 1) % this.capacity;
    }
    if (this.onEvent === undefined || (this.#heard !== undefined && !this.#heard.has(event.kind))) return;
    try {
      this.onEvent(copied(event, at));
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
    const n = Math.min(Math.max(0, limit), this.#ring.length);
    const out: ManagerEvent[] = [];
    for (let k = 0; k < n; k++) {
      // Newest first: the one before `#start`, going back around the ring.
      const i = (this.#start - 1 - k + 2 * this.#ring.length) % this.#ring.length;
      out.push(copied(this.#ring[i] as Kept, this.#times[i] as number));
    }
    return out;
  }
}

/** `event` as read: a copy (its client's too) with its time `at` as ISO text, first. */
function copied(event: Kept, at: number): ManagerEvent {
  const out: ManagerEvent = { at: isoTime(at), ...event };
  if (event.client !== undefined) out.client = copyClient(event.client);
  return out;
}
