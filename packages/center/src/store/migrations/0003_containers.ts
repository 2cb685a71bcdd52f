/**
 * Containers and remote upgrades: the policy of a package, the keys and upgrade counter of each
 * activated container, and every upgrade with its question, answer and confirmation. Portable:
 * SQLite adds one column per statement.
 */
import type { Kysely } from 'kysely';

/** Adds `packages.policy`, `activations.{container_keys, counter}` and the `upgrades` table. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('packages')
    .addColumn('policy', 'text', (c) => c.notNull().defaultTo('standard'))
    .execute();
  await db.schema.alterTable('activations').addColumn('container_keys', 'text').execute();
  await db.schema
    .alterTable('activations')
    .addColumn('counter', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('upgrades')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('activation_id', 'text', (c) => c.notNull().references('activations.id'))
    .addColumn('container_id', 'text', (c) => c.notNull())
    .addColumn('container_tag', 'text', (c) => c.notNull())
    .addColumn('from_counter', 'integer', (c) => c.notNull())
    .addColumn('to_counter', 'integer', (c) => c.notNull())
    .addColumn('question_nonce', 'text', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('changes', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('confirmation', 'text')
    .execute();
  // Confirmation codes name their container by tag.
  await db.schema.createIndex('upgrades_container_tag_idx').on('upgrades').column('container_tag').execute();
  await db.schema.createIndex('upgrades_activation_idx').on('upgrades').column('activation_id').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('upgrades').execute();
  await db.schema.alterTable('activations').dropColumn('counter').execute();
  await db.schema.alterTable('activations').dropColumn('container_keys').execute();
  await db.schema.alterTable('packages').dropColumn('policy').execute();
}
