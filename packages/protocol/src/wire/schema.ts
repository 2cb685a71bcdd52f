/**
 * Building blocks of the wire schemas. Each keeps the exact JSON Schema the services validated
 * with before TypeBox (`type: ['string', 'null']` rather than `anyOf`, `type: 'string'` beside
 * `enum`), so Ajv's refusals and their wording stay the same.
 */
import { type TSchema, type TUnsafe, Type } from 'typebox';

/** A string that is one of `values`: `{ type: 'string', enum }`. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A string or `null`: `{ type: ['string', 'null'] }`. */
export function NullableString(options: Record<string, unknown> = {}): TUnsafe<string | null> {
  return Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] });
}

/** An integer or `null`: `{ type: ['integer', 'null'] }`. */
export function NullableInteger(options: Record<string, unknown> = {}): TUnsafe<number | null> {
  return Type.Unsafe<number | null>({ ...options, type: ['integer', 'null'] });
}

/** An object of string values only (`additionalProperties` holds the value schema). */
export function StringMap(value: TSchema, options: Record<string, unknown> = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ ...options, type: 'object', additionalProperties: value });
}
