/**
 * `activations_token_key_idx` holds only the activations bound to a hardware token (`where
 * token_key is not null`): every other activation (almost all) wrote a `NULL` entry into it, one
 * more index page per activation commit, for an index only ever searched by a token's key
 * (`token_key = ?` or `in (…)`, which both engines answer from the partial index). Portable: the
 * same `create index … where` on SQLite and PostgreSQL.
 */
import type { Kysely } from 'kysely';

const INDEX = 'activations_token_key_idx';

/** Makes the `token_key` index partial. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex(INDEX).execute();
  await db.schema.createIndex(INDEX).on('activations').column('token_key').where('token_key', 'is not', null).execute();
}

/** Makes it whole again, as migration 0004 made it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex(INDEX).execute();
  await db.schema.createIndex(INDEX).on('activations').column('token_key').execute();
}
