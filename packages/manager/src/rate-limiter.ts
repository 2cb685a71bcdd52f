/**
 * Token buckets per key (a source address), with a bound on the keys kept so that traffic
 * from many (possibly forged) addresses cannot grow memory without end.
 */

/** Options of a {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Tokens a key may spend at once. */
  burst: number;
  /** Tokens a key gets back per second. */
  perSecond: number;
  /** Keys tracked at most; a new key beyond this is refused until idle keys are dropped. Default 10 000. */
  maxKeys?: number;
  /** The clock, epoch milliseconds. */
  now: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by a string. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  /** When idle keys were last dropped; a full table is swept at most once a second. */
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RateLimiterOptions) {
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Spends one token of `key`; false when its bucket is empty (or no key can be tracked). */
  take(key: string): boolean {
    const now = this.options.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys && !this.dropIdle(now)) return false;
      bucket = { tokens: this.options.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      this.refill(bucket, now);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  private refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + elapsed * this.options.perSecond);
    bucket.at = now;
  }

  /** Drops the keys whose bucket is full again (they would start afresh anyway). */
  private dropIdle(now: number): boolean {
    if (now - this.sweptAt < 1000) return false;
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) {
      this.refill(bucket, now);
      if (bucket.tokens >= this.options.burst) this.buckets.delete(key);
    }
    return this.buckets.size < this.maxKeys;
  }
}
