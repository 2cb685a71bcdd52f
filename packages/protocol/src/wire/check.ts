/** Checking a received message against its wire schema (TypeBox's interpreter: no code generation). */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

/**
 * What is wrong with `value` as a `schema` message, in words (`'/lease/expiresAt must match
 * format "date-time"'`), or `null` when it conforms. Properties the schema does not name are
 * allowed: a newer peer may send more.
 */
export function wireProblem(schema: TSchema, value: unknown): string | null {
  if (Value.Check(schema, value)) return null;
  for (const error of Value.Errors(schema, value)) {
    return `${error.instancePath === '' ? 'the body' : error.instancePath} ${error.message}`;
  }
  return 'the body does not match';
}

/** Whether `value` is a `schema` message (see {@link wireProblem}). */
export function isWire<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return Value.Check(schema, value);
}
