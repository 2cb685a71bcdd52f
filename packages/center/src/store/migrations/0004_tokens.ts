/**
 * Hardware tokens: the key a token-bound activation is bound to, and the register of tokens the
 * center has seen (first activation) and programmed (`lictor center token program`). Portable:
 * SQLite adds one column per statement; the key's text form is the primary key on both engines.
 */
import type { Kysely } from 'kysely';

/** Adds `activations.token_key` and the `tokens` table. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('activations').addColumn('token_key', 'text').execute();
  await db.schema.createIndex('activations_token_key_idx').on('activations').column('token_key').execute();

  await db.schema
    .createTable('tokens')
    .addColumn('public_key', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('manufacturer', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('token_serial', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('registered_at', 'text', (c) => c.notNull())
    .addColumn('programmed_at', 'text')
    .addColumn('package_serial', 'text')
    .addColumn('activation_id', 'text')
    .execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tokens').execute();
  await db.schema.dropIndex('activations_token_key_idx').execute();
  await db.schema.alterTable('activations').dropColumn('token_key').execute();
}
