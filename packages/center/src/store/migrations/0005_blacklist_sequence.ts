/**
 * The blacklist's sequence: a counter the center moves up by one with every change of the list,
 * signed into the list, so that applications refuse an older list than one they have seen.
 * Starts at the number of entries already listed (every entry so far was one change). Portable.
 */
import { type Kysely, sql } from 'kysely';

/** Adds the `counters` table with the `blacklist` row. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into counters (name, value) select 'blacklist', count(*) from blacklist`.execute(db);
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('counters').execute();
}
