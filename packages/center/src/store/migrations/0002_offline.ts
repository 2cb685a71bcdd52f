/**
 * Offline activation: PINs the center can recover (to check request proofs), and how each
 * activation was made. Every statement is portable: SQLite adds one column per statement.
 */
import type { Kysely } from 'kysely';

/** Adds `pins.pin_sealed` and `activations.{subject, channel, request_nonce}`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pins').addColumn('pin_sealed', 'text').execute();
  await db.schema.alterTable('activations').addColumn('subject', 'text').execute();
  await db.schema
    .alterTable('activations')
    .addColumn('channel', 'text', (c) => c.notNull().defaultTo('online'))
    .execute();
  await db.schema.alterTable('activations').addColumn('request_nonce', 'text').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('activations').dropColumn('request_nonce').execute();
  await db.schema.alterTable('activations').dropColumn('channel').execute();
  await db.schema.alterTable('activations').dropColumn('subject').execute();
  await db.schema.alterTable('pins').dropColumn('pin_sealed').execute();
}
