/**
 * Readers for the fields of parsed, untrusted JSON (internal to `protocol`). Each format builds
 * one set around the way it refuses, `fault(field, what)`, so that every format checks objects,
 * strings and integers the same way and only the error code and wording differ.
 */

/** Refuses a field: `what` completes "field '<field>' …", e.g. `must be a string`. */
export type FieldFault = (field: string, what: string) => never;

/** The readers {@link fieldReaders} builds. */
export interface FieldReaders {
  /** A JSON object (not an array, not `null`). */
  obj(value: unknown, field: string): Record<string, unknown>;
  /** A string (of at most `max` characters). */
  str(value: unknown, field: string, max?: number): string;
  /** A safe integer of at least `min`. */
  int(value: unknown, field: string, min?: number): number;
}

/** The readers for one format, refusing through `fault`. */
export function fieldReaders(fault: FieldFault): FieldReaders {
  return {
    obj(value, field) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fault(field, 'must be an object');
      return value as Record<string, unknown>;
    },
    str(value, field, max = Number.POSITIVE_INFINITY) {
      if (typeof value !== 'string' || value.length > max) fault(field, 'must be a string');
      return value;
    },
    int(value, field, min = 0) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
        fault(field, `must be an integer ≥ ${min}`);
      }
      return value;
    },
  };
}
