/**
 * JSON columns with their type: the table types in `schema.ts` say what each JSON text column
 * holds (`Json<FeatureGrant[]>`), and the row mappers read and write them only through
 * {@link fromJson} and {@link toJson}, so a column's type is declared once. The text is what the
 * database stores on every engine.
 */
import type { ColumnType } from 'kysely';

declare const holds: unique symbol;

/** JSON text that encodes a `T`. */
export type JsonText<T> = string & { readonly [holds]: T };

/** A JSON text column holding a `T` (selected, inserted and updated as its text). */
export type Json<T> = ColumnType<JsonText<T>, JsonText<T>, JsonText<T>>;

/** The text to store for `value`. */
export function toJson<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>;
}

/** The value a JSON column's text holds (the database only ever holds what {@link toJson} wrote). */
export function fromJson<T>(text: JsonText<T>): T {
  return JSON.parse(text) as T;
}
