/**
 * Rate limits of the public endpoints (activation, offline answers and previews, duplicate
 * reports): token buckets per client address and per serial, on the center's injected clock.
 * The number of buckets kept is bounded: the oldest are forgotten first, so that a flood of
 * addresses or made-up serials cannot grow memory.
 */
import { LictorError } from '@lictor/protocol';
import { type Refusal, refuse } from './outcome.js';

/** One limit: `burst` at once, then `perMinute` on average. */
export interface RateLimit {
  burst: number;
  perMinute: number;
}

/** The configurable limits; each can be turned off with `null`. */
export interface RateLimitOptions {
  /** Requests per client address to the activation and offline endpoints (default 30 at once, 30/min). */
  perClient?: RateLimit | null;
  /** Refused attempts per serial (wrong PIN and the like) (default 10 at once, 5/min). */
  refusalsPerSerial?: RateLimit | null;
  /** Verified duplicate reports per serial (default 3 at once, 6/hour). */
  reportsPerSerial?: RateLimit | null;
  /** Wrong PINs per serial within `pinBurstWindowMs` that raise an alert (default 10). */
  pinBurstAlert?: number;
}

/** The defaults of {@link RateLimitOptions}. */
export const DEFAULT_RATE_LIMITS = {
  perClient: { burst: 30, perMinute: 30 },
  refusalsPerSerial: { burst: 10, perMinute: 5 },
  reportsPerSerial: { burst: 3, perMinute: 0.1 },
  pinBurstAlert: 10,
} as const;

const MAX_KEYS = 10_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Token buckets under one limit, keyed by address or serial. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #limit: RateLimit;
  readonly #now: () => number;

  constructor(limit: RateLimit, now: () => number) {
    if (!(limit.burst >= 1) || !(limit.perMinute > 0)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'a rate limit needs a burst of at least 1 and a positive rate');
    }
    this.#limit = limit;
    this.#now = now;
  }

  #bucket(key: string): Bucket {
    const nowMs = this.#now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#limit.burst, atMs: nowMs };
    } else {
      this.#buckets.delete(key);
      const refill = (Math.max(0, nowMs - b.atMs) / 60_000) * this.#limit.perMinute;
      b = { tokens: Math.min(this.#limit.burst, b.tokens + refill), atMs: nowMs };
    }
    // Re-inserted last: the map's order is least recently used first.
    this.#buckets.set(key, b);
    if (this.#buckets.size > MAX_KEYS) this.#buckets.delete(this.#buckets.keys().next().value as string);
    return b;
  }

  /** Seconds until `key` may go on; 0 when it may now (nothing is consumed). */
  waitSeconds(key: string): number {
    const b = this.#bucket(key);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / this.#limit.perMinute) * 60);
  }

  /** Consumes one token of `key` (it may go below one: the next check waits). */
  take(key: string): void {
    const b = this.#bucket(key);
    b.tokens = Math.max(-this.#limit.burst, b.tokens - 1);
  }
}

/** `LICTOR_E_RATE_LIMITED` with `retryAfterSeconds` when `limiter` says `key` must wait, else `null`. */
export function limited(limiter: RateLimiter | null, key: string | undefined, what: string): Refusal | null {
  if (limiter === null || key === undefined || key === '') return null;
  const wait = limiter.waitSeconds(key);
  if (wait === 0) return null;
  return refuse('LICTOR_E_RATE_LIMITED', `too many requests ${what}: try again in ${wait} s`, {
    retryAfterSeconds: wait,
  });
}

/** The limiters of one center. */
export interface CenterLimits {
  perClient: RateLimiter | null;
  refusalsPerSerial: RateLimiter | null;
  reportsPerSerial: RateLimiter | null;
  pinBurstAlert: number;
}

/** Builds the limiters from options (defaults where absent, `null` turns one off). */
export function createLimits(options: RateLimitOptions, now: () => Date): CenterLimits {
  const clock = () => now().getTime();
  const make = (limit: RateLimit | null | undefined, fallback: RateLimit) =>
    limit === null ? null : new RateLimiter(limit ?? fallback, clock);
  return {
    perClient: make(options.perClient, DEFAULT_RATE_LIMITS.perClient),
    refusalsPerSerial: make(options.refusalsPerSerial, DEFAULT_RATE_LIMITS.refusalsPerSerial),
    reportsPerSerial: make(options.reportsPerSerial, DEFAULT_RATE_LIMITS.reportsPerSerial),
    pinBurstAlert: options.pinBurstAlert ?? DEFAULT_RATE_LIMITS.pinBurstAlert,
  };
}
