import type { HardwareParams } from '@lictor/protocol';

/** Something that yields the computer's hardware parameters, e.g. {@link collectHardware}. */
export type HardwareSource = () => Promise<HardwareParams>;

/** Options of {@link cachedHardware}. */
export interface CacheOptions {
  /** How long a collection stays fresh, in milliseconds; default 24 hours. */
  maxAgeMs?: number;
  /** Clock in milliseconds, for tests; default `Date.now`. */
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function copy(hw: HardwareParams): HardwareParams {
  return { ...hw, cpus: [...hw.cpus], nics: [...hw.nics], disks: [...hw.disks] };
}

/**
 * Caches a source in memory; re-collects after `maxAgeMs` (default 24 h: the licensing
 * documents poll hardware at most once a day). Concurrent callers share one collection in
 * flight. A failed collection is not cached: its callers get the error, the next call
 * retries. Every caller gets its own copy, so mutating a result cannot corrupt the cache.
 */
export function cachedHardware(
  source: HardwareSource,
  options: CacheOptions = {},
): HardwareSource & { invalidate(): void } {
  const maxAgeMs = options.maxAgeMs ?? DAY_MS;
  const now = options.now ?? Date.now;
  let cached: { value: HardwareParams; at: number } | undefined;
  let inFlight: Promise<HardwareParams> | undefined;
  // Bumped by invalidate() so that a collection started before it does not refill the cache.
  let generation = 0;

  const get = async (): Promise<HardwareParams> => {
    if (cached) {
      const age = now() - cached.at;
      if (age >= 0 && age < maxAgeMs) return copy(cached.value);
    }
    if (!inFlight) {
      const started = generation;
      const run = source().then(
        (value) => {
          if (started === generation) cached = { value: copy(value), at: now() };
          if (inFlight === run) inFlight = undefined;
          return value;
        },
        (error: unknown) => {
          if (inFlight === run) inFlight = undefined;
          throw error;
        },
      );
      inFlight = run;
    }
    return copy(await inFlight);
  };

  return Object.assign(get, {
    invalidate(): void {
      generation++;
      cached = undefined;
      inFlight = undefined;
    },
  });
}
