/**
 * Checking a received message against its wire schema: TypeBox's JSON Schema interpreter (no
 * code generation, and lighter to load than `typebox/value`, which wraps the same checks).
 */
import type { Static, TSchema } from 'typebox';
import { Check, Errors } from 'typebox/schema';

/**
 * What is wrong with `value` as a `schema` message, in words (`'/lease/expiresAt must match
 * format "date-time"'`), or `null` when it conforms. Properties the schema does not name are
 * allowed: a newer peer may send more.
 */
export function wireProblem(schema: TSchema, value: unknown): string | null {
  if (Check(schema, value)) return null;
  const [, errors] = Errors(schema, value);
  const first = errors[0];
  if (first === undefined) return 'the body does not match';
  return `${first.instancePath === '' ? 'the body' : first.instancePath} ${first.message}`;
}

/** Whether `value` is a `schema` message (see {@link wireProblem}). */
export function isWire<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return Check(schema, value);
}
