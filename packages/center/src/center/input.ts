/** Checks of untrusted input shared by the domain modules; failures name the field. */
import { LictorError } from '@lictor/protocol';

/** The most users (or sessions) a license or feature may count. */
export const MAX_USERS = 1_000_000;
/** The longest validity in days (about a hundred years). */
export const MAX_DAYS = 36_500;

/** Throws `LICTOR_E_INVALID_INPUT` naming `field`. */
export function invalid(field: string, message: string): never {
  throw new LictorError('LICTOR_E_INVALID_INPUT', message, { field });
}

/** An integer in `[min, max]`, or the default when absent. */
export function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(field, `${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A trimmed, non-blank string of at most `max` characters. */
export function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    invalid(field, `${field} must be a non-empty text of at most ${max} characters`);
  }
  return value.trim();
}

/** An ISO 8601 instant after `now`, normalized (`toISOString`). */
export function futureInstant(value: unknown, field: string, now: Date): string {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) invalid(field, `${field} must be an ISO 8601 date, e.g. 2030-12-31T23:59:59Z`);
  if (ms <= now.getTime()) invalid(field, `${field} ${String(value)} is in the past`);
  return new Date(ms).toISOString();
}

/** A list limit: the default when absent, else 1–1000. */
export function boundedLimit(value: number | undefined, fallback: number, field: string): number {
  return value === undefined ? fallback : integerIn(value, field, 1, 1000);
}
