/**
 * The runtime's events for `GET /v1/events`: each gets an id `<start>-<sequence>` (the start
 * names this run of the runtime), the last {@link DEFAULT_EVENT_CAPACITY} are kept, and a client
 * that reconnects with `Last-Event-ID` gets what it missed, or a `reset` event when that is no
 * longer possible (another run of the runtime, or too far behind). Pure: no I/O, injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { RuntimeEvent } from '@lictor/protocol/wire';

/** Events kept for clients that reconnect. */
export const DEFAULT_EVENT_CAPACITY = 1000;

/** An event with its id. */
export interface HubEvent {
  readonly id: string;
  readonly event: RuntimeEvent;
}

/** What a client reconnecting with a `Last-Event-ID` is sent first. */
export interface Replay {
  /** `true`: events were missed and cannot be sent; the client should read the state again. */
  reset: boolean;
  events: HubEvent[];
}

/** Options of {@link EventHub}. */
export interface EventHubOptions {
  now: () => number;
  capacity?: number;
  /** Names this run (default random); event ids start with it. */
  start?: string;
}

/** Publishes events to subscribers and keeps the latest for reconnecting clients. */
export class EventHub {
  readonly start: string;
  readonly #now: () => number;
  readonly #capacity: number;
  readonly #ring: HubEvent[] = [];
  readonly #listeners = new Set<(e: HubEvent) => void>();
  #seq = 0;

  constructor(options: EventHubOptions) {
    this.#now = options.now;
    this.#capacity = options.capacity ?? DEFAULT_EVENT_CAPACITY;
    this.start = options.start ?? randomBytes(6).toString('hex');
  }

  /** Publishes an event (its time is now) to every subscriber; returns it with its id. */
  publish(event: Omit<RuntimeEvent, 'at'>): HubEvent {
    const hub: HubEvent = {
      id: `${this.start}-${++this.#seq}`,
      event: { ...event, at: new Date(this.#now()).toISOString() } as RuntimeEvent,
    };
    this.#ring.push(hub);
    if (this.#ring.length > this.#capacity) this.#ring.shift();
    for (const listener of this.#listeners) listener(hub);
    return hub;
  }

  /** Calls `listener` with every event published from now on; returns a function that unsubscribes. */
  subscribe(listener: (e: HubEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Subscribers now. */
  get subscribers(): number {
    return this.#listeners.size;
  }

  /** A reset event (not kept, not numbered beyond the latest id). */
  resetEvent(): HubEvent {
    return {
      id: `${this.start}-${this.#seq}`,
      event: { kind: 'reset', at: new Date(this.#now()).toISOString() },
    };
  }

  /** What a client that saw `lastEventId` missed; `undefined` id: a new client, nothing to replay. */
  since(lastEventId: string | undefined): Replay {
    if (lastEventId === undefined || lastEventId === '') return { reset: false, events: [] };
    const dash = lastEventId.lastIndexOf('-');
    const start = lastEventId.slice(0, dash);
    const seq = Number(lastEventId.slice(dash + 1));
    if (dash < 0 || start !== this.start || !Number.isSafeInteger(seq) || seq < 0 || seq > this.#seq) {
      return { reset: true, events: [] };
    }
    const oldest = this.#ring.length === 0 ? this.#seq + 1 : this.#seqOf(this.#ring[0] as HubEvent);
    // Events after `seq` were pushed out of the ring: they cannot be sent.
    if (seq + 1 < oldest) return { reset: true, events: [] };
    return { reset: false, events: this.#ring.filter((e) => this.#seqOf(e) > seq) };
  }

  #seqOf(e: HubEvent): number {
    return Number(e.id.slice(e.id.lastIndexOf('-') + 1));
  }
}
